//! Work buffers reused across requests, so a request does not zero a fresh buffer.

use std::prelude::rust_2024::*;

use crate::flow;
use std::sync::Mutex;

/// Work buffers of [`flow::FLOW_BUFFER_LEN`] reused across requests, lent by the length a job
/// needs: only that much is handed out, so only that much is wiped when it comes back (a
/// request that reads a 3 KB cookie wipes 24 KB, not 192 KB).
#[derive(Default)]
pub(crate) struct Pool(Mutex<Vec<Box<[u8]>>>);

pub(crate) struct Pooled<'p> {
    pool: &'p Pool,
    buf: Option<Box<[u8]>>,
    /// The length lent.
    len: usize,
}

impl Pool {
    /// A whole work buffer.
    pub(crate) fn get(&self) -> Pooled<'_> {
        self.get_len(flow::FLOW_BUFFER_LEN)
    }

    /// A work buffer of `len` bytes (at most [`flow::FLOW_BUFFER_LEN`]).
    pub(crate) fn get_len(&self, len: usize) -> Pooled<'_> {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        Pooled {
            pool: self,
            buf: Some(buf.unwrap_or_else(|| vec![0u8; flow::FLOW_BUFFER_LEN].into_boxed_slice())),
            len: len.min(flow::FLOW_BUFFER_LEN),
        }
    }
}

impl Pooled<'_> {
    pub(crate) fn buf(&mut self) -> &mut [u8] {
        let len = self.len;
        self.buf
            .as_deref_mut()
            .and_then(|b| b.get_mut(..len))
            .unwrap_or(&mut [])
    }

    /// Whether this is a whole work buffer (a job that ran out of room cannot get more).
    pub(crate) fn is_whole(&self) -> bool {
        self.len >= flow::FLOW_BUFFER_LEN
    }
}

impl Drop for Pooled<'_> {
    /// Wipes what was lent (it held cookies, tokens and keys' plaintext) before another request
    /// can get it, or before it is freed; the rest was never handed out and is still zero.
    fn drop(&mut self) {
        if let Some(mut b) = self.buf.take() {
            let len = self.len;
            let mut pool = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < 64 {
                // The next request reads this memory, so the writes cannot be optimized away.
                if let Some(lent) = b.get_mut(..len) {
                    lent.fill(0);
                }
                pool.push(b);
            } else {
                zeroize::Zeroize::zeroize(&mut *b);
            }
        }
    }
}

/// Runs `$body` with a work buffer `$buf` of `$len` bytes from `$pool` (sized to the job, so
/// only that much is wiped afterwards), and once more with a whole one when it ran out of room.
/// `$body` gives an owned `Result<_, AuthError>`.
macro_rules! with_buffer {
    ($pool:expr, $len:expr, |$buf:ident| $body:expr) => {{
        let mut pooled = $pool.get_len($len);
        let whole = pooled.is_whole();
        let first = {
            let $buf = pooled.buf();
            $body
        };
        drop(pooled);
        if !whole
            && matches!(
                first,
                Err($crate::flow::AuthError::Core(
                    $crate::Error::BufferTooSmall { .. }
                ))
            )
        {
            // Dropped before the second try: the first result is not kept in the future.
            drop(first);
            let mut pooled = $pool.get();
            let $buf = pooled.buf();
            $body
        } else {
            first
        }
    }};
}
pub(crate) use with_buffer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_wiped_before_reuse() {
        let pool = Pool::default();
        {
            let mut p = pool.get_len(100);
            assert_eq!(p.buf().len(), 100);
            p.buf()[94..].copy_from_slice(b"secret");
        }
        {
            let mut p = pool.get();
            assert!(p.is_whole());
            assert!(p.buf().iter().all(|&b| b == 0));
            p.buf()[..6].copy_from_slice(b"secret");
        }
        let mut p = pool.get();
        assert!(p.buf().iter().all(|&b| b == 0));
    }
}
