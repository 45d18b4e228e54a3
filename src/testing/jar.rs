//! [`Jar`]: a browser's cookie store, as far as a test needs one.

use crate::cookie;
use crate::http::Response;

/// Keeps the cookies a browser would keep from the `Set-Cookie` headers of responses, and
/// gives the `Cookie` header it would send back, in `BYTES` of storage. Attributes other than
/// deletion (`Max-Age=0`) are ignored: every cookie is sent to every path.
///
/// ```
/// use auth0_edge::http::ResponseBuilder;
/// use auth0_edge::testing::Jar;
/// let mut buf = [0u8; 256];
/// let mut res = ResponseBuilder::new(&mut buf, 200);
/// res.header("Set-Cookie", "a=1; Path=/")?;
/// res.header("Set-Cookie", "b=2; Path=/; HttpOnly")?;
/// res.header("Set-Cookie", "a=; Path=/; Max-Age=0")?;
/// let mut jar: Jar = Jar::new();
/// jar.apply(&res.finish()?);
/// assert_eq!(jar.header(), "b=2");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Jar<const BYTES: usize = 16384> {
    header: heapless::Vec<u8, BYTES>,
}

impl<const BYTES: usize> Jar<BYTES> {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Cookie` header: `name=value` pairs joined with `"; "`, oldest first.
    pub fn header(&self) -> &str {
        core::str::from_utf8(&self.header).unwrap_or("")
    }

    /// The value of cookie `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        cookie::get(self.header(), name).map(|c| c.value)
    }

    /// Applies every `Set-Cookie` of `res`. Panics if the jar is full.
    pub fn apply(&mut self, res: &Response<'_>) {
        for (k, v) in res.headers() {
            if k.eq_ignore_ascii_case("set-cookie") {
                self.set(v);
            }
        }
    }

    /// Applies one `Set-Cookie` value. Panics if the jar is full.
    pub fn set(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else {
            return;
        };
        let deletion = parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
        self.remove(name);
        if !deletion {
            let fits = (self.header.is_empty() || self.header.extend_from_slice(b"; ").is_ok())
                && self.header.extend_from_slice(name.as_bytes()).is_ok()
                && self.header.push(b'=').is_ok()
                && self.header.extend_from_slice(value.as_bytes()).is_ok();
            assert!(fits, "testing::Jar: more than {BYTES} bytes of cookies");
        }
    }

    /// Forgets cookie `name`.
    pub fn remove(&mut self, name: &str) {
        let text = self.header();
        let mut start = 0;
        let mut found = None;
        for pair in text.split("; ") {
            let end = start + pair.len();
            if pair.split_once('=').is_some_and(|(n, _)| n == name) {
                found = Some((start, end));
                break;
            }
            start = end + 2;
        }
        let Some((a, b)) = found else { return };
        // Remove the pair and one separator next to it.
        let (a, b) = if b + 2 <= self.header.len() {
            (a, b + 2)
        } else {
            (a.saturating_sub(2), b)
        };
        let len = self.header.len();
        self.header.copy_within(b..len, a);
        self.header.truncate(len - (b - a));
    }

    /// Forgets every cookie.
    pub fn clear(&mut self) {
        self.header.clear();
    }
}
