//! A bounded writer over a caller-provided byte buffer.
//!
//! Every formatter of the core (JSON, base64url, cookies, URLs) writes through [`Writer`], so
//! running out of room is reported once, as [`Error::BufferTooSmall`], and never truncates.

use crate::Error;
use core::fmt;

/// Appends text to a caller-provided buffer, failing instead of truncating.
///
/// Everything appended is UTF-8, so the written part is always a `&str`.
///
/// ```
/// use auth0_edge::codec::buf::Writer;
/// let mut storage = [0u8; 16];
/// let mut w = Writer::new(&mut storage, "example");
/// w.push_str("max-age=")?;
/// w.push_u64(60)?;
/// assert_eq!(w.as_str(), "max-age=60");
/// assert!(w.push_str("this does not fit").is_err());
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
    what: &'static str,
}

impl<'b> Writer<'b> {
    /// A writer over `buf`; `what` names the buffer in [`Error::BufferTooSmall`].
    pub fn new(buf: &'b mut [u8], what: &'static str) -> Self {
        Writer { buf, len: 0, what }
    }

    /// The error this writer reports when full.
    pub fn overflow(&self) -> Error {
        Error::BufferTooSmall {
            what: self.what,
            capacity: self.buf.len(),
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a string.
    #[inline]
    pub fn push_str(&mut self, s: &str) -> Result<(), Error> {
        self.push_bytes_utf8(s.as_bytes())
    }

    /// Appends an ASCII byte. Non-ASCII bytes are refused to keep the output UTF-8.
    #[inline]
    pub fn push_ascii(&mut self, b: u8) -> Result<(), Error> {
        if !b.is_ascii() {
            return Err(self.overflow());
        }
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len += 1;
                Ok(())
            }
            None => Err(self.overflow()),
        }
    }

    /// Appends bytes that the caller knows to be UTF-8 (crate-internal fast path).
    #[inline]
    pub(crate) fn push_bytes_utf8(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len.checked_add(bytes.len()).ok_or(self.overflow())?;
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
                Ok(())
            }
            None => Err(self.overflow()),
        }
    }

    /// Appends an unsigned integer in decimal.
    pub fn push_u64(&mut self, n: u64) -> Result<(), Error> {
        let mut digits = [0u8; 20];
        self.push_str(decimal(n, &mut digits))
    }

    /// Appends a signed integer in decimal.
    pub fn push_i64(&mut self, n: i64) -> Result<(), Error> {
        if n < 0 {
            self.push_ascii(b'-')?;
        }
        self.push_u64(n.unsigned_abs())
    }

    /// Appends `bytes` as unpadded base64url.
    pub fn push_base64url(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let overflow = self.overflow();
        let n = crate::codec::base64url::encode_raw(bytes, self.spare_mut()).ok_or(overflow)?;
        self.len += n;
        Ok(())
    }

    /// The unused rest of the buffer (crate-internal: callers must keep it UTF-8).
    pub(crate) fn spare_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.len..]
    }

    /// Marks `n` bytes of [`Writer::spare_mut`] as written (crate-internal).
    pub(crate) fn advance(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    /// The written text.
    pub fn as_str(&self) -> &str {
        // Only UTF-8 is ever appended; an empty string is the (unreachable) fallback.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    /// The written bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Ends writing and returns the written text with the buffer's lifetime.
    pub fn into_str(self) -> &'b str {
        let Writer { buf, len, .. } = self;
        let bytes: &'b [u8] = buf;
        core::str::from_utf8(&bytes[..len]).unwrap_or("")
    }

    /// Ends writing and returns the whole buffer, what was written included.
    pub(crate) fn into_inner(self) -> &'b mut [u8] {
        self.buf
    }

    /// Ends writing and returns the written bytes and the unused rest of the buffer.
    pub fn into_parts(self) -> (&'b mut [u8], &'b mut [u8]) {
        let Writer { buf, len, .. } = self;
        buf.split_at_mut(len)
    }
}

impl fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s).map_err(|_| fmt::Error)
    }
}

/// Writes `value`'s `Display` output into `buf` and returns it as a `&str`.
///
/// ```
/// let mut buf = [0u8; 8];
/// assert_eq!(auth0_edge::codec::buf::display(&mut buf, &42u32)?, "42");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn display<'b>(buf: &'b mut [u8], value: &dyn fmt::Display) -> Result<&'b str, Error> {
    let mut w = Writer::new(buf, "display");
    fmt::write(&mut w, format_args!("{value}")).map_err(|_| w.overflow())?;
    Ok(w.into_str())
}

/// `n` in decimal, written into the end of `buf` (20 bytes hold any `u64`).
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    core::str::from_utf8(&buf[i..]).unwrap_or("0")
}
