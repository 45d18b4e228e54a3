//! [`block_on`]: runs a flow to completion on the test devices, which answer at once.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

/// Polls `future` until it completes, with a waker that does nothing: for flows driven by the
/// test devices of this module, which never wait on real I/O. A future that waits on a real
/// socket or timer would spin here forever; use your runtime's executor for those.
///
/// ```
/// assert_eq!(auth0_edge::testing::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
    }
}
