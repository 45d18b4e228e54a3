//! Stack frames of their own: [`OwnFrame`] polls a future in one, [`fill`] and
//! [`fill_pinned`] build a value in one.
//!
//! The compiler inlines a nested future's poll into its parent's, and the parent's frame is
//! then as large as the largest locals of everything it inlined, for every poll and for every
//! call made from it. The TLS handshake's locals (8 KB on the host) inlined into the request's
//! frame would sit under the certificate checks that run after it; polled through an
//! [`OwnFrame`], they take the stack only while the handshake runs.
//!
//! A large value built in a poll function and then moved into the future's state (a TLS
//! connection, the future that closes it) leaves a stack temporary of its size in that
//! function's frame, there for every poll. Built by [`fill`] or [`fill_pinned`] straight into
//! a slot of the state, it takes the stack only while it is built.

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

/// Puts `make()` into `slot`, building it in this function's frame (never inlined).
#[inline(never)]
pub(super) fn fill<T>(slot: &mut Option<T>, make: impl FnOnce() -> T) -> &mut T {
    slot.insert(make())
}

/// Puts `make()` into the pinned `slot` (a future to poll where it is), building it in this
/// function's frame (never inlined).
#[inline(never)]
pub(super) fn fill_pinned<T>(mut slot: Pin<&mut Option<T>>, make: impl FnOnce() -> T) {
    slot.set(Some(make()));
}
