//! [`OwnFrame`]: a future polled in a stack frame of its own.
//!
//! The compiler inlines a nested future's poll into its parent's, and the parent's frame is
//! then as large as the largest locals of everything it inlined, for every poll and for every
//! call made from it. The TLS handshake's locals (8 KB on the host) inlined into the request's
//! frame would sit under the certificate checks that run after it; polled through an
//! [`OwnFrame`], they take the stack only while the handshake runs.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// Polls `F` through a function that is never inlined into the caller's poll.
pub(super) struct OwnFrame<F>(pub(super) F);

impl<F: Future + Unpin> Future for OwnFrame<F> {
    type Output = F::Output;

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}
