//! URLs, as far as a relying party needs them: absolute `http(s)` URLs split into parts, and
//! the same-origin check for `returnTo`.
//!
//! [`safe_return_to`] follows the SDK's `toSafeRedirect`: the value is resolved against the
//! application's base URL with the WHATWG rules that matter for open redirects (tabs and newlines
//! removed, `\` read as `/`, `//host` and `scheme:` switching origin) and accepted only when the
//! origin stays the same; what is kept is the path, query and fragment.

use crate::codec::buf::Writer;
use crate::codec::form::HEX;
use crate::{ConfigError, Error};

/// Why a URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not an absolute `http://` or `https://` URL.
    NotHttp,
    /// The host is empty or has characters a host cannot have.
    Host,
    /// The port is not a number from 1 to 65535.
    Port,
    /// User information (`user:pass@`) is not accepted.
    UserInfo,
    /// Whitespace or control characters.
    Whitespace,
}

impl core::fmt::Display for UrlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            UrlError::NotHttp => "not an absolute http:// or https:// URL",
            UrlError::Host => "the host is missing or invalid",
            UrlError::Port => "the port is not a number from 1 to 65535",
            UrlError::UserInfo => "user information (user@) is not allowed",
            UrlError::Whitespace => "the URL contains whitespace or control characters",
        })
    }
}

impl core::error::Error for UrlError {}

/// An absolute `http` or `https` URL, split into parts (borrowed, not normalised except that
/// the scheme and host compare case-insensitively).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Url<'a> {
    /// `http` or `https`, as written.
    pub scheme: &'a str,
    /// The host (a name, an IPv4 address, or `[IPv6]`).
    pub host: &'a str,
    /// The explicit port, if any.
    pub port: Option<u16>,
    /// The path, `""` or starting with `/`.
    pub path: &'a str,
    /// The query without `?`.
    pub query: Option<&'a str>,
    /// The fragment without `#`.
    pub fragment: Option<&'a str>,
}

impl<'a> Url<'a> {
    /// Parses an absolute `http(s)` URL.
    ///
    /// ```
    /// let u = auth0_edge::codec::url::Url::parse("https://Tenant.Auth0.com:8443/oauth/token?x=1#f")?;
    /// assert_eq!((u.host, u.port, u.path, u.query), ("Tenant.Auth0.com", Some(8443), "/oauth/token", Some("x=1")));
    /// # Ok::<(), auth0_edge::codec::url::UrlError>(())
    /// ```
    pub fn parse(s: &'a str) -> Result<Url<'a>, UrlError> {
        if s.bytes().any(|b| b <= b' ' || b == 0x7F) {
            return Err(UrlError::Whitespace);
        }
        let (scheme, rest) = s.split_once("://").ok_or(UrlError::NotHttp)?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(UrlError::NotHttp);
        }
        let (rest, fragment) = split_off(rest, '#');
        let (rest, query) = split_off(rest, '?');
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        if authority.contains('\\') || path.contains('\\') {
            return Err(UrlError::Host);
        }
        let (host, port) = split_port(authority)?;
        let host_ok = if let Some(v6) = host.strip_prefix('[') {
            v6.strip_suffix(']').is_some_and(|a| {
                !a.is_empty()
                    && a.bytes()
                        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            })
        } else {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        };
        if !host_ok {
            return Err(UrlError::Host);
        }
        Ok(Url {
            scheme,
            host,
            port,
            path,
            query,
            fragment,
        })
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("https")
    }

    /// The port, explicit or the scheme's default.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(if self.is_https() { 443 } else { 80 })
    }

    /// Whether both URLs have the same origin (scheme, host and port).
    pub fn same_origin(&self, other: &Url<'_>) -> bool {
        self.scheme.eq_ignore_ascii_case(other.scheme)
            && self.host.eq_ignore_ascii_case(other.host)
            && self.effective_port() == other.effective_port()
    }

    /// Whether the host is a loopback name or address (`localhost`, `127.x.y.z`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let h = self.host;
        h.eq_ignore_ascii_case("localhost")
            || ends_with_ignore_case(h, ".localhost")
            || h == "[::1]"
            || h.strip_prefix("127.").is_some_and(|r| {
                r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok())
            })
    }

    /// Writes the origin (`scheme://host[:port]`, the default port left out) in lower case.
    pub fn write_origin(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        push_lower(w, self.scheme)?;
        w.push_str("://")?;
        push_lower(w, self.host)?;
        if let Some(p) = self.port
            && p != if self.is_https() { 443 } else { 80 }
        {
            w.push_ascii(b':')?;
            w.push_u64(u64::from(p))?;
        }
        Ok(())
    }
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.is_char_boundary(s.len() - suffix.len())
        && s[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn push_lower(w: &mut Writer<'_>, s: &str) -> Result<(), Error> {
    for b in s.bytes() {
        w.push_ascii(b.to_ascii_lowercase())?;
    }
    Ok(())
}

fn split_port(authority: &str) -> Result<(&str, Option<u16>), UrlError> {
    let colon = if authority.starts_with('[') {
        authority
            .find(']')
            .and_then(|i| authority[i..].find(':').map(|j| i + j))
    } else {
        authority.rfind(':')
    };
    match colon {
        None => Ok((authority, None)),
        Some(i) => {
            let p = &authority[i + 1..];
            if p.is_empty() {
                return Ok((&authority[..i], None));
            }
            let port: u16 = p.parse().map_err(|_| UrlError::Port)?;
            if port == 0 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::Port);
            }
            Ok((&authority[..i], Some(port)))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// returnTo
// ---------------------------------------------------------------------------------------------

/// Characters the WHATWG path percent-encode set escapes (besides controls, space and
/// non-ASCII).
fn path_escape(b: u8) -> bool {
    b <= b' ' || b >= 0x7F || matches!(b, b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}')
}

fn query_escape(b: u8) -> bool {
    b <= b' ' || b >= 0x7F || matches!(b, b'"' | b'#' | b'<' | b'>' | b'\'')
}

fn fragment_escape(b: u8) -> bool {
    b <= b' ' || b >= 0x7F || matches!(b, b'"' | b'<' | b'>' | b'`')
}

fn push_escaped(w: &mut Writer<'_>, s: &[u8], escape: fn(u8) -> bool) -> Result<(), Error> {
    for &b in s {
        if escape(b) {
            w.push_ascii(b'%')?;
            w.push_ascii(HEX[usize::from(b >> 4)])?;
            w.push_ascii(HEX[usize::from(b & 15)])?;
        } else {
            w.push_ascii(b)?;
        }
    }
    Ok(())
}

/// Resolves `value` against `base` (an absolute URL whose path is used for relative values)
/// and, when the result has the same origin, writes its path, query and fragment into `buf`.
/// Returns `None` for another origin, another scheme (`javascript:`, `data:`), a host in the
/// value, or a result whose path starts with `//`.
///
/// ```
/// use auth0_edge::codec::url::safe_return_to;
/// let mut buf = [0u8; 64];
/// assert_eq!(safe_return_to("https://app.example.com", "/dashboard?tab=1", &mut buf), Some("/dashboard?tab=1"));
/// assert_eq!(safe_return_to("https://app.example.com", "https://app.example.com/x", &mut buf), Some("/x"));
/// assert_eq!(safe_return_to("https://app.example.com", "//evil.com", &mut buf), None);
/// assert_eq!(safe_return_to("https://app.example.com", "/\\evil.com", &mut buf), None);
/// assert_eq!(safe_return_to("https://app.example.com", "javascript:alert(1)", &mut buf), None);
/// ```
pub fn safe_return_to<'b>(base: &str, value: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let base = Url::parse(base).ok()?;
    // WHATWG: leading/trailing C0 controls and spaces are stripped, tabs and newlines removed.
    let value = value.trim_matches(|c: char| c <= ' ');
    let mut clean = [0u8; 2048];
    let mut n = 0;
    for b in value.bytes() {
        if matches!(b, b'\t' | b'\n' | b'\r') {
            continue;
        }
        *clean.get_mut(n)? = if b == b'\\' { b'/' } else { b };
        n += 1;
    }
    let v = core::str::from_utf8(&clean[..n]).ok()?;

    // A scheme: `letter *(letter / digit / + - .)` then `:`.
    let scheme_end = v.find(':').filter(|&i| {
        i > 0
            && v.as_bytes()[0].is_ascii_alphabetic()
            && v[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    let relative = match scheme_end {
        Some(i) => {
            if !v[..i].eq_ignore_ascii_case(base.scheme) {
                return None;
            }
            let rest = &v[i + 1..];
            if rest.starts_with('/') {
                // `https://host…` (any number of slashes): an authority follows.
                let target = rest.trim_start_matches('/');
                return same_authority(&base, target).then_some(()).and_then(|_| {
                    let path_start = target.find(['/', '?', '#']).unwrap_or(target.len());
                    write_resolved(&base, &target[path_start..], buf)
                });
            }
            // `https:foo` with the base's scheme is relative (WHATWG special-relative).
            rest
        }
        None => v,
    };
    if relative.starts_with("//") {
        let target = relative.trim_start_matches('/');
        if !same_authority(&base, target) {
            return None;
        }
        let path_start = target.find(['/', '?', '#']).unwrap_or(target.len());
        return write_resolved(&base, &target[path_start..], buf);
    }
    write_resolved(&base, relative, buf)
}

/// Whether `target` (starting at an authority) names the base's host and port, with no user
/// information.
fn same_authority(base: &Url<'_>, target: &str) -> bool {
    let end = target.find(['/', '?', '#']).unwrap_or(target.len());
    let authority = &target[..end];
    if authority.contains('@') || authority.contains('%') {
        return false;
    }
    let Ok((host, port)) = split_port(authority) else {
        return false;
    };
    let host = host.trim_end_matches('.');
    host.eq_ignore_ascii_case(base.host)
        && port.unwrap_or(base.effective_port()) == base.effective_port()
}

/// `s` before the first `c`, and what follows it (`None` without a `c`).
fn split_off(s: &str, c: char) -> (&str, Option<&str>) {
    match s.split_once(c) {
        Some((head, tail)) => (head, Some(tail)),
        None => (s, None),
    }
}

/// Resolves a relative reference (path, `?query`, `#fragment`) against the base path and
/// writes `path?query#fragment`, dot segments removed and characters percent-encoded as WHATWG
/// does.
fn write_resolved<'b>(base: &Url<'_>, rel: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let (rel, fragment) = split_off(rel, '#');
    let (path, query) = split_off(rel, '?');
    // Segments of the resulting path, as (start, end) into `joined`.
    let mut joined = [0u8; 2048];
    let mut jn = 0;
    let mut push = |s: &str| -> Option<()> {
        joined
            .get_mut(jn..jn + s.len())?
            .copy_from_slice(s.as_bytes());
        jn += s.len();
        Some(())
    };
    if path.is_empty() {
        push(if base.path.is_empty() { "/" } else { base.path })?;
    } else if path.starts_with('/') {
        push(path)?;
    } else {
        let dir = &base.path[..base.path.rfind('/').map_or(0, |i| i + 1)];
        push(if dir.is_empty() { "/" } else { dir })?;
        push(path)?;
    }
    let joined = core::str::from_utf8(&joined[..jn]).ok()?;
    // At most 128 segments are kept; a deeper path is refused (the caller falls back), never a
    // panic.
    let mut segs: heapless::Vec<&str, 128> = heapless::Vec::new();
    let mut parts = joined.split('/').skip(1).peekable();
    while let Some(seg) = parts.next() {
        let last = parts.peek().is_none();
        let dot = seg == "." || seg.eq_ignore_ascii_case("%2e");
        let dotdot = ["..", ".%2e", "%2e.", "%2e%2e"]
            .iter()
            .any(|d| seg.eq_ignore_ascii_case(d));
        if dotdot {
            segs.pop();
            if last {
                segs.push("").ok()?;
            }
        } else if dot {
            if last {
                segs.push("").ok()?;
            }
        } else {
            segs.push(seg).ok()?;
        }
    }
    let mut w = Writer::new(buf, "returnTo");
    if segs.is_empty() {
        w.push_ascii(b'/').ok()?;
    }
    for s in &segs {
        w.push_ascii(b'/').ok()?;
        push_escaped(&mut w, s.as_bytes(), path_escape).ok()?;
    }
    if let Some(q) = query {
        w.push_ascii(b'?').ok()?;
        push_escaped(&mut w, q.as_bytes(), query_escape).ok()?;
    }
    if let Some(f) = fragment {
        w.push_ascii(b'#').ok()?;
        push_escaped(&mut w, f.as_bytes(), fragment_escape).ok()?;
    }
    let out = w.into_str();
    if out.starts_with("//") {
        return None;
    }
    Some(out)
}

/// Checks that `value` is an absolute `http(s)` URL, naming `option` in the error.
pub fn require_http(option: &'static str, value: &str) -> Result<(), ConfigError> {
    Url::parse(value)
        .map(|_| ())
        .map_err(|_| ConfigError::Invalid {
            option,
            reason: "must be an absolute http:// or https:// URL",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ret(v: &str) -> Option<heapless::String<256>> {
        let mut buf = [0u8; 256];
        safe_return_to("https://app.example.com/base/page", v, &mut buf)
            .map(|s| heapless::String::try_from(s).unwrap())
    }

    #[test]
    fn parse_urls() {
        let u = Url::parse("http://localhost:3000").unwrap();
        assert_eq!((u.host, u.port, u.path), ("localhost", Some(3000), ""));
        assert!(u.is_loopback());
        assert!(Url::parse("http://127.0.0.1/x").unwrap().is_loopback());
        assert!(Url::parse("http://[::1]:8080/").unwrap().is_loopback());
        assert!(
            !Url::parse("http://127.0.0.1.evil.com/")
                .unwrap()
                .is_loopback()
        );
        assert_eq!(Url::parse("ftp://x"), Err(UrlError::NotHttp));
        assert_eq!(Url::parse("https://a@b"), Err(UrlError::UserInfo));
        assert_eq!(Url::parse("https://a:0"), Err(UrlError::Port));
        assert_eq!(Url::parse("https://a:99999"), Err(UrlError::Port));
        assert_eq!(Url::parse("https:// a"), Err(UrlError::Whitespace));
        assert_eq!(Url::parse("https://"), Err(UrlError::Host));
        let a = Url::parse("https://App.example.com:443/x").unwrap();
        let b = Url::parse("https://app.example.com/y").unwrap();
        assert!(a.same_origin(&b));
        assert!(!a.same_origin(&Url::parse("http://app.example.com").unwrap()));
    }

    #[test]
    fn return_to_rules() {
        assert_eq!(ret("/dashboard?tab=1#x").unwrap(), "/dashboard?tab=1#x");
        assert_eq!(ret("foo").unwrap(), "/base/foo");
        assert_eq!(ret("?q=1").unwrap(), "/base/page?q=1");
        assert_eq!(ret("/a/../b/./c").unwrap(), "/b/c");
        assert_eq!(ret("/a b<").unwrap(), "/a%20b%3C");
        assert_eq!(ret("https://app.example.com/ok").unwrap(), "/ok");
        assert_eq!(ret("https:relative").unwrap(), "/base/relative");
        assert_eq!(ret("https://APP.example.com./ok").unwrap(), "/ok");
        assert_eq!(ret("/\tx").unwrap(), "/x");
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/\t/evil.com",
            "https://evil.com",
            "http://app.example.com/",
            "https://app.example.com:444/",
            "https://user@app.example.com/",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "ja\nva\tscript\r:alert(1)",
            "data:text/html;base64,xyz",
            "https://evil.com\\@app.example.com",
            "/.//evil.com",
        ] {
            assert_eq!(ret(bad), None, "{bad:?}");
        }
    }
}
