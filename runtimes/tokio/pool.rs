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
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            let mut pool = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < 64 {
                pool.push(b);
            }
        }
    }
}
