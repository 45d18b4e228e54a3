//! Work buffers reused across requests, so a request does not zero a fresh buffer.

use std::prelude::rust_2024::*;

use crate::flow;
use std::sync::Mutex;

/// Work buffers reused across requests, so a request does not zero 192 KB.
#[derive(Default)]
pub(crate) struct Pool(Mutex<Vec<Box<[u8]>>>);

pub(crate) struct Pooled<'p> {
    pool: &'p Pool,
    buf: Option<Box<[u8]>>,
}

impl Pool {
    pub(crate) fn get(&self) -> Pooled<'_> {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        Pooled {
            pool: self,
            buf: Some(buf.unwrap_or_else(|| vec![0u8; flow::FLOW_BUFFER_LEN].into_boxed_slice())),
        }
    }
}

impl Pooled<'_> {
    pub(crate) fn buf(&mut self) -> &mut [u8] {
        self.buf.as_deref_mut().unwrap_or(&mut [])
    }
}

impl Drop for Pooled<'_> {
    /// Wipes the buffer (it held cookies, tokens and keys' plaintext) before another request
    /// can get it, or before it is freed.
    fn drop(&mut self) {
        if let Some(mut b) = self.buf.take() {
            let mut pool = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < 64 {
                // The next request reads this memory, so the writes cannot be optimized away.
                b.fill(0);
                pool.push(b);
            } else {
                zeroize::Zeroize::zeroize(&mut *b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_wiped_before_reuse() {
        let pool = Pool::default();
        {
            let mut p = pool.get();
            p.buf()[..6].copy_from_slice(b"secret");
        }
        let mut p = pool.get();
        assert!(p.buf().iter().all(|&b| b == 0));
    }
}
