//! DPoP at a resource server (RFC 9449 §7, §9), as the SDK's fetcher (`fetchWithAuth`,
//! `createFetcher`) and oauth4webapi's `protectedResourceRequest` do it:
//!
//! - [`AuthScheme::for_token`]: `Authorization: DPoP <token>` with a proof carrying `ath` when
//!   DPoP is on and the token is DPoP-bound (`token_type` `DPoP`, any case), else `Bearer`;
//! - [`challenges`]: the `WWW-Authenticate` header (RFC 9110 §11.6.1) read as challenges and
//!   their parameters, and [`nonce_challenge`], the `DPoP error="use_dpop_nonce"` challenge that
//!   asks for one retry with the server's new nonce;
//! - [`join_url`]: the fetcher's URL joining (an absolute URL as it is, else the base URL
//!   without its trailing `/` + `/` + the path without its leading `/`s);
//! - [`ResourceRequest`] and [`ResourceError`]: what the flow `Auth0::fetch_with_auth` takes and
//!   how it fails, including the SDK's "DPoP nonce error persisted after retry".
//!
//! Everything here is sans-IO and allocation-free.

use crate::Error;
use crate::codec::url::{Url, UrlError};
use crate::runtime::TransportError;
use core::fmt;

// ---------------------------------------------------------------------------------------------
// The Authorization scheme
// ---------------------------------------------------------------------------------------------

/// The scheme an access token is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// `Authorization: Bearer <token>` (RFC 6750), no proof.
    Bearer,
    /// `Authorization: DPoP <token>` with a `DPoP` proof carrying `ath` (RFC 9449 §7.1).
    DPoP,
}

impl AuthScheme {
    /// The scheme for a token of `token_type` (as stored, any case): DPoP only when DPoP is
    /// configured (`dpop_on`) and the token is DPoP-bound, as the SDK decides.
    ///
    /// ```
    /// use auth0_edge::oauth::dpop_resource::AuthScheme;
    /// assert_eq!(AuthScheme::for_token(Some("dpop"), true), AuthScheme::DPoP);
    /// assert_eq!(AuthScheme::for_token(Some("DPoP"), false), AuthScheme::Bearer);
    /// assert_eq!(AuthScheme::for_token(Some("bearer"), true), AuthScheme::Bearer);
    /// assert_eq!(AuthScheme::for_token(None, true), AuthScheme::Bearer);
    /// ```
    pub fn for_token(token_type: Option<&str>, dpop_on: bool) -> AuthScheme {
        match token_type {
            Some(t) if dpop_on && t.eq_ignore_ascii_case("dpop") => AuthScheme::DPoP,
            _ => AuthScheme::Bearer,
        }
    }

    /// `Bearer` or `DPoP`, as the `Authorization` header spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::Bearer => "Bearer",
            AuthScheme::DPoP => "DPoP",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate challenges
// ---------------------------------------------------------------------------------------------

/// A parameter value of a challenge: a token, or the contents of a quoted string (escapes not
/// yet decoded; [`ParamValue::chars`] and `Display` decode them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamValue<'a> {
    raw: &'a str,
    quoted: bool,
}

impl<'a> ParamValue<'a> {
    /// The value as written, without the quotes of a quoted string.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The value's characters, with quoted-pair escapes (`\"`, `\\`) decoded.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        let quoted = self.quoted;
        let mut escaped = false;
        self.raw.chars().filter(move |&c| {
            if quoted && !escaped && c == '\\' {
                escaped = true;
                return false;
            }
            escaped = false;
            true
        })
    }

    /// Whether the decoded value is `s`.
    pub fn is(&self, s: &str) -> bool {
        self.chars().eq(s.chars())
    }
}

impl fmt::Display for ParamValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for c in self.chars() {
            f.write_char(c)?;
        }
        Ok(())
    }
}

/// One challenge of a `WWW-Authenticate` header: its scheme, and its parameters or token68.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The auth-scheme as written (`DPoP`, `Bearer`, …; compare it case-insensitively).
    pub scheme: &'a str,
    /// The token68, for a challenge that has one instead of parameters.
    pub token68: Option<&'a str>,
    /// The text of the parameter list.
    params: &'a str,
}

impl<'a> Challenge<'a> {
    /// The value of parameter `name` (case-insensitive), if the challenge has it.
    pub fn param(&self, name: &str) -> Option<ParamValue<'a>> {
        Lexer::new(self.params).find_map(|item| match item {
            Item::Param(k, v) if k.eq_ignore_ascii_case(name) => Some(v),
            _ => None,
        })
    }

    /// Whether the scheme is `scheme` (case-insensitive).
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// What the lexer of a challenge list reads.
#[derive(Clone, Copy, Debug)]
enum Item<'a> {
    /// An auth-scheme, with its token68 when it has one.
    Scheme(&'a str, Option<&'a str>),
    /// An auth-param.
    Param(&'a str, ParamValue<'a>),
}

/// Reads `1#challenge` (RFC 9110 §11.6.1) item by item; stops at the first malformed byte.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str) -> Self {
        Lexer { s, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A run of token characters (and `/`, which a token68 may hold).
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| is_tchar(b) || b == b'/') {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// A quoted string at the cursor (the opening `"` already read): its contents.
    fn quoted(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let bytes = self.s.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    let raw = &self.s[start..self.pos];
                    self.pos += 1;
                    return Some(raw);
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
        None
    }

    fn stop(&mut self) -> Option<Item<'a>> {
        self.pos = self.s.len();
        None
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
        self.peek()?;
        let name = self.token();
        if name.is_empty() {
            return self.stop();
        }
        self.skip_ws();
        if self.peek() != Some(b'=') {
            // A scheme; a token68 may follow it.
            let after_scheme = self.pos;
            let t68 = self.token();
            if !t68.is_empty() {
                while self.peek() == Some(b'=') {
                    self.pos += 1;
                }
                let end = self.pos;
                self.skip_ws();
                if matches!(self.peek(), None | Some(b',')) {
                    return Some(Item::Scheme(name, Some(&self.s[after_scheme..end])));
                }
            }
            // Not a token68: the parameters start here.
            self.pos = after_scheme;
            return Some(Item::Scheme(name, None));
        }
        // name = value
        self.pos += 1;
        self.skip_ws();
        let value = if self.peek() == Some(b'"') {
            self.pos += 1;
            match self.quoted() {
                Some(raw) => ParamValue { raw, quoted: true },
                None => return self.stop(),
            }
        } else {
            let raw = self.token();
            if raw.is_empty() {
                return self.stop();
            }
            ParamValue { raw, quoted: false }
        };
        Some(Item::Param(name, value))
    }
}

/// The challenges of a `WWW-Authenticate` header value, in order. Parameters before any scheme,
/// and everything after a malformed byte, are skipped.
///
/// ```
/// use auth0_edge::oauth::dpop_resource::challenges;
/// let v = r#"Bearer realm="api", DPoP realm="api", error="use_dpop_nonce", error_description="nonce is \"required\"", algs="ES256""#;
/// let c: Vec<_> = challenges(v).collect();
/// assert_eq!((c[0].scheme, c[1].scheme), ("Bearer", "DPoP"));
/// assert!(c[1].param("error").unwrap().is("use_dpop_nonce"));
/// assert_eq!(c[1].param("error_description").unwrap().to_string(), r#"nonce is "required""#);
/// assert!(c[0].param("error").is_none());
/// ```
pub fn challenges(value: &str) -> Challenges<'_> {
    Challenges {
        lexer: Lexer::new(value),
        pending: None,
    }
}

/// The iterator of [`challenges`].
#[derive(Debug)]
pub struct Challenges<'a> {
    lexer: Lexer<'a>,
    /// A scheme read while collecting the previous challenge's parameters.
    pending: Option<(&'a str, Option<&'a str>)>,
}

impl core::fmt::Debug for Lexer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lexer").field("pos", &self.pos).finish()
    }
}

impl<'a> Iterator for Challenges<'a> {
    type Item = Challenge<'a>;

    fn next(&mut self) -> Option<Challenge<'a>> {
        let (scheme, token68) = match self.pending.take() {
            Some(s) => s,
            None => loop {
                match self.lexer.next()? {
                    Item::Scheme(s, t) => break (s, t),
                    Item::Param(..) => {}
                }
            },
        };
        let start = self.lexer.pos;
        let mut end = start;
        if token68.is_none() {
            loop {
                match self.lexer.next() {
                    None => break,
                    Some(Item::Param(..)) => end = self.lexer.pos,
                    Some(Item::Scheme(s, t)) => {
                        self.pending = Some((s, t));
                        break;
                    }
                }
            }
        }
        Some(Challenge {
            scheme,
            token68,
            params: self.lexer.s.get(start..end).unwrap_or(""),
        })
    }
}

/// The values of every header named `name` (case-insensitive) in `headers` (`Name: value`
/// lines separated by CRLF), in order.
pub fn header_values<'a>(headers: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .filter(move |(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// The `DPoP` challenge with `error="use_dpop_nonce"` in any `WWW-Authenticate` header of
/// `headers` (`Name: value` lines separated by CRLF): a resource server (or a token endpoint)
/// asking for a proof with its new nonce, which comes in the `DPoP-Nonce` header.
///
/// ```
/// use auth0_edge::oauth::dpop_resource::nonce_challenge;
/// let h = "Content-Type: application/json\r\nWWW-Authenticate: DPoP error=\"use_dpop_nonce\", error_description=\"nonce is required\"\r\nDPoP-Nonce: n-2";
/// let c = nonce_challenge(h).unwrap();
/// assert_eq!(c.param("error_description").unwrap().to_string(), "nonce is required");
/// assert!(nonce_challenge("WWW-Authenticate: DPoP error=\"invalid_token\"").is_none());
/// assert!(nonce_challenge("WWW-Authenticate: Bearer error=\"use_dpop_nonce\"").is_none());
/// ```
pub fn nonce_challenge(headers: &str) -> Option<Challenge<'_>> {
    header_values(headers, "WWW-Authenticate")
        .flat_map(challenges)
        .find(|c| {
            c.is_scheme("DPoP")
                && c.param("error")
                    .is_some_and(|e: ParamValue<'_>| e.is("use_dpop_nonce"))
        })
}

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

/// Whether `url` starts with a URI scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`),
/// so the WHATWG parser (`new URL(url)`) would take it as absolute.
fn has_scheme(url: &str) -> bool {
    let Some(colon) = url.find(':') else {
        return false;
    };
    let scheme = url.as_bytes()[..colon].iter();
    let mut first = true;
    let mut any = false;
    for &b in scheme {
        let ok = if first {
            b.is_ascii_alphabetic()
        } else {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
        };
        if !ok {
            return false;
        }
        first = false;
        any = true;
    }
    any
}

/// The URL a fetcher requests for `url`, as the SDK joins them (`Fetcher.buildUrl`): an
/// absolute URL as it is; else `base` without its trailing `/` (or `//`), `/`, and `url`
/// without its leading `/`s. The result must be an absolute `http(s)` URL.
///
/// ```
/// use auth0_edge::oauth::dpop_resource::{ResourceError, join_url};
/// let mut buf = [0u8; 256];
/// assert_eq!(join_url(Some("https://api.example.com/v1/"), "//users/me", &mut buf)?, "https://api.example.com/v1/users/me");
/// assert_eq!(join_url(Some("https://api.example.com"), "https://other.example/x", &mut buf)?, "https://other.example/x");
/// assert_eq!(join_url(None, "/users/me", &mut buf), Err(ResourceError::RelativeUrl));
/// # Ok::<(), ResourceError>(())
/// ```
pub fn join_url<'b>(
    base: Option<&str>,
    url: &str,
    buf: &'b mut [u8],
) -> Result<&'b str, ResourceError> {
    let mut w = crate::codec::buf::Writer::new(buf, "resource URL");
    let written = if has_scheme(url) {
        w.push_str(url)
    } else {
        let base = base
            .filter(|b| !b.is_empty())
            .ok_or(ResourceError::RelativeUrl)?;
        // The SDK's `baseUrl.replace(/\/?\/$/, "")`: one or two trailing slashes.
        let base = base.strip_suffix('/').unwrap_or(base);
        let base = base.strip_suffix('/').unwrap_or(base);
        w.push_str(base)
            .and_then(|()| w.push_ascii(b'/'))
            .and_then(|()| w.push_str(url.trim_start_matches('/')))
    };
    written.map_err(ResourceError::Request)?;
    let joined = w.into_str();
    Url::parse(joined).map_err(ResourceError::Url)?;
    Ok(joined)
}

// ---------------------------------------------------------------------------------------------
// The request and its errors
// ---------------------------------------------------------------------------------------------

/// The most request headers of the application a resource request carries (besides
/// `Authorization` and `DPoP`).
pub const MAX_RESOURCE_HEADERS: usize = 32;

/// A request to a protected resource, for `Auth0::fetch_with_auth`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built by runtimes with a struct literal over `Default`
pub struct ResourceRequest<'a> {
    /// The method (`GET`, `POST`, …).
    pub method: &'a str,
    /// The absolute URL (see [`join_url`]).
    pub url: &'a str,
    /// The application's headers (at most [`MAX_RESOURCE_HEADERS`]); its own `Authorization`
    /// and `DPoP` headers are replaced.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
    /// The access token.
    pub access_token: &'a str,
    /// Its `token_type` as stored (`dpop`, `bearer`), which decides the scheme
    /// ([`AuthScheme::for_token`]).
    pub token_type: Option<&'a str>,
}

/// The most bytes of a server's challenge text kept in an error.
pub const CHALLENGE_TEXT_LEN: usize = 96;

/// Text from a server's challenge (at most [`CHALLENGE_TEXT_LEN`] bytes; longer text ends
/// with `…`).
pub type ChallengeText = heapless::String<CHALLENGE_TEXT_LEN>;

/// Copies `value` into a [`ChallengeText`], cut at a character boundary.
pub fn challenge_text(value: &dyn fmt::Display) -> ChallengeText {
    struct Bounded<'a>(&'a mut ChallengeText);
    impl fmt::Write for Bounded<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                // Room for the `…` (3 bytes) at the end.
                if self.0.len() + c.len_utf8() > CHALLENGE_TEXT_LEN - 3 {
                    let _ = self.0.push('…');
                    return Err(fmt::Error);
                }
                let _ = self.0.push(c);
            }
            Ok(())
        }
    }
    let mut t = ChallengeText::new();
    let _ = fmt::write(&mut Bounded(&mut t), format_args!("{value}"));
    t
}

/// Why a request to a protected resource failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResourceError {
    /// A relative URL and no base URL (the SDK's TypeError).
    RelativeUrl,
    /// The URL is not an absolute `http(s)` URL.
    Url(UrlError),
    /// More than [`MAX_RESOURCE_HEADERS`] headers, or a header that cannot be sent.
    Header,
    /// The request (its `Authorization` header, the proof, the URL) does not fit its buffer.
    Request(Error),
    /// The resource server could not be reached or did not answer in time.
    Transport(TransportError),
    /// The resource server asked for a new nonce again after the retry with the nonce it sent.
    NonceErrorPersisted {
        /// The HTTP status of the last answer (typically 401).
        status: u16,
        /// The challenge's `error_description`, if any.
        description: ChallengeText,
    },
}

impl ResourceError {
    /// A short code: `invalid_url`, `invalid_request`, `request_failed`,
    /// `dpop_nonce_retry_failed` (the SDK's code for a persisting nonce error).
    pub fn code(&self) -> &'static str {
        match self {
            ResourceError::RelativeUrl | ResourceError::Url(_) => "invalid_url",
            ResourceError::Header | ResourceError::Request(_) => "invalid_request",
            ResourceError::Transport(_) => "request_failed",
            ResourceError::NonceErrorPersisted { .. } => "dpop_nonce_retry_failed",
        }
    }
}

impl fmt::Display for ResourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceError::RelativeUrl => f.write_str(
                "`url` must be absolute or `baseUrl` non-empty: give the fetcher a base URL, or request an absolute URL",
            ),
            ResourceError::Url(_) => f.write_str(
                "the resource URL is not an absolute http:// or https:// URL",
            ),
            ResourceError::Header => write!(
                f,
                "the request has a header that cannot be sent (not visible ASCII) or more than {MAX_RESOURCE_HEADERS} headers"
            ),
            ResourceError::Request(_) => f.write_str(
                "the request to the resource server could not be written into its buffer",
            ),
            ResourceError::Transport(_) => {
                f.write_str("the request to the resource server failed")
            }
            ResourceError::NonceErrorPersisted {
                status,
                description,
            } => {
                write!(f, "DPoP nonce error persisted after retry: ")?;
                if description.is_empty() {
                    write!(f, "use_dpop_nonce")?;
                } else {
                    write!(f, "{description}")?;
                }
                write!(
                    f,
                    " (HTTP {status}; the resource server refused the nonce it sent: check that it and the authorization server agree on nonces, and the clocks)"
                )
            }
        }
    }
}

impl core::error::Error for ResourceError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ResourceError::Url(e) => Some(e),
            ResourceError::Request(e) => Some(e),
            ResourceError::Transport(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_lists() {
        let all: heapless::Vec<Challenge<'_>, 8> =
            challenges(r#"Basic YWxhZGRpbjpvcGVuc2VzYW1l==, DPoP algs="ES256", Bearer"#).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].token68, Some("YWxhZGRpbjpvcGVuc2VzYW1l=="));
        assert!(all[1].param("algs").unwrap().is("ES256"));
        assert!(all[2].param("algs").is_none());
        // The provider's challenge, verbatim.
        let h = r#"DPoP realm="http://127.0.0.1:4400", error="use_dpop_nonce", error_description="nonce is required in the DPoP proof", algs="ES256 Ed25519 EdDSA""#;
        let c = challenges(h).next().unwrap();
        assert!(c.is_scheme("dpop"));
        assert_eq!(c.param("realm").unwrap().raw(), "http://127.0.0.1:4400");
        assert!(c.param("ERROR").unwrap().is("use_dpop_nonce"));
        // Token values, odd spacing, a malformed tail.
        let c = challenges("dpop  error = use_dpop_nonce ,, x")
            .next()
            .unwrap();
        assert!(c.param("error").unwrap().is("use_dpop_nonce"));
        assert_eq!(challenges(r#"DPoP error="unterminated"#).count(), 1);
        assert!(
            challenges(r#"DPoP error="unterminated"#)
                .next()
                .unwrap()
                .param("error")
                .is_none()
        );
        assert_eq!(challenges("").count(), 0);
        assert_eq!(challenges("=,=").count(), 0);
        assert_eq!(
            challenges("error=x").count(),
            0,
            "a parameter before any scheme"
        );
        // Escapes are decoded, not matched raw.
        let c = challenges(r#"DPoP error="use\_dpop\_nonce""#)
            .next()
            .unwrap();
        assert!(c.param("error").unwrap().is("use_dpop_nonce"));
    }

    #[test]
    fn nonce_challenges_in_headers() {
        let h = "WWW-Authenticate: Bearer realm=\"x\"\r\nwww-authenticate: DPoP error=\"use_dpop_nonce\"";
        assert!(nonce_challenge(h).is_some(), "a second header counts");
        assert!(
            nonce_challenge("WWW-Authenticate: Bearer, DPoP error=\"use_dpop_nonce\"").is_some()
        );
        assert!(nonce_challenge("X-Other: DPoP error=\"use_dpop_nonce\"").is_none());
    }

    #[test]
    fn urls_join_as_the_sdk_joins_them() {
        let mut buf = [0u8; 128];
        let mut join = |base, url| {
            join_url(base, url, &mut buf).map(|s| heapless::String::<128>::try_from(s).unwrap())
        };
        let ok = |s: &str| Ok(heapless::String::<128>::try_from(s).unwrap());
        assert_eq!(
            join(Some("https://a.example/"), "/x"),
            ok("https://a.example/x")
        );
        assert_eq!(
            join(Some("https://a.example//"), "x"),
            ok("https://a.example/x")
        );
        assert_eq!(
            join(Some("https://a.example///"), "x"),
            ok("https://a.example//x"),
            "the SDK's regex removes two"
        );
        assert_eq!(
            join(Some("https://a.example/api"), "///x?q=1"),
            ok("https://a.example/api/x?q=1")
        );
        assert_eq!(
            join(Some("https://a.example"), "HTTP://b.example/y"),
            ok("HTTP://b.example/y")
        );
        assert_eq!(join(Some(""), "/x"), Err(ResourceError::RelativeUrl));
        assert_eq!(join(None, "x"), Err(ResourceError::RelativeUrl));
        assert_eq!(
            join(None, "mailto:a@b"),
            Err(ResourceError::Url(UrlError::NotHttp))
        );
        assert_eq!(
            join(Some("ftp://a.example"), "x"),
            Err(ResourceError::Url(UrlError::NotHttp))
        );
        let mut small = [0u8; 8];
        assert!(matches!(
            join_url(Some("https://a.example"), "x", &mut small),
            Err(ResourceError::Request(Error::BufferTooSmall { .. }))
        ));
    }

    #[test]
    fn errors_say_what_happened() {
        let e = ResourceError::NonceErrorPersisted {
            status: 401,
            description: challenge_text(&"nonce is required in the DPoP proof"),
        };
        let mut buf = [0u8; 512];
        let text = crate::codec::buf::display(&mut buf, &e).unwrap();
        assert!(text.starts_with("DPoP nonce error persisted after retry: nonce is required in the DPoP proof (HTTP 401"), "{text}");
        assert_eq!(e.code(), "dpop_nonce_retry_failed");
        let mut many = heapless::String::<256>::new();
        for _ in 0..100 {
            many.push('é').unwrap();
        }
        let long = challenge_text(&many.as_str());
        assert!(long.len() <= CHALLENGE_TEXT_LEN && long.ends_with('…'));
    }
}
