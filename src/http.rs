//! The core's own small view of HTTP, so no HTTP crate's types appear in its API, and the
//! traits a runtime implements: [`Transport`] (send one request), [`Clock`].
//!
//! Incoming requests are a [`Request`] borrowing the runtime's data; responses the core makes
//! are written by a [`ResponseBuilder`] into a caller buffer and read back as a [`Response`].
//! Outgoing requests (to the provider) are an [`OutgoingRequest`]; the runtime writes the
//! answer into a caller buffer as an [`IncomingResponse`].

use crate::Error;
use crate::buf::Writer;
use crate::time::UnixTime;
use core::fmt;

/// Case-insensitive access to request or response headers.
pub trait Headers {
    /// The value of header `name` (ASCII case-insensitive). For `cookie`, a runtime that got
    /// several `Cookie` headers (HTTP/2) must return them joined with `"; "`.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Headers for &[(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

impl<const N: usize> Headers for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// An incoming request, as the core sees it.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method, upper case (`GET`, `POST`).
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query, without `?` (empty when there is none).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a (dyn Headers + Sync),
    /// The body (only read for form posts such as back-channel logout).
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// A `GET` of `path_and_query` with these headers.
    pub fn get(path_and_query: &'a str, headers: &'a (dyn Headers + Sync)) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Request {
            method: "GET",
            path,
            query,
            headers,
            body: &[],
        }
    }

    /// The `Cookie` header, or `""`.
    pub fn cookie(&self) -> &'a str {
        self.headers.get("cookie").unwrap_or("")
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

/// A response made by the core: a status, header lines and a body, all in one caller buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Response<'b> {
    /// The status code.
    pub status: u16,
    head: &'b str,
    /// The body.
    pub body: &'b [u8],
}

impl<'b> Response<'b> {
    /// A 200 response with no headers and no body.
    pub const EMPTY: Response<'static> = Response {
        status: 200,
        head: "",
        body: &[],
    };

    /// The headers in order (`Set-Cookie` may repeat).
    pub fn headers(&self) -> impl Iterator<Item = (&'b str, &'b str)> + 'b {
        let mut rest: &'b str = self.head;
        core::iter::from_fn(move || {
            // Lines end with CRLF; a value never holds CR or LF (ResponseBuilder refuses them).
            while !rest.is_empty() {
                let end = memchr::memchr(b'\r', rest.as_bytes()).unwrap_or(rest.len());
                let line = &rest[..end];
                rest = rest.get(end + 2..).unwrap_or("");
                let colon = memchr::memchr(b':', line.as_bytes());
                if let Some(i) = colon
                    && line.as_bytes().get(i + 1) == Some(&b' ')
                {
                    return Some((&line[..i], &line[i + 2..]));
                }
            }
            None
        })
    }

    /// The first header named `name`.
    pub fn header(&self, name: &str) -> Option<&'b str> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body as text (empty if it is not UTF-8).
    pub fn body_str(&self) -> &'b str {
        core::str::from_utf8(self.body).unwrap_or("")
    }
}

impl fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.head)
            .field("body", &self.body_str())
            .finish()
    }
}

/// Writes a [`Response`] into a caller buffer: headers first, then the body.
pub struct ResponseBuilder<'b> {
    w: Writer<'b>,
    status: u16,
}

impl<'b> ResponseBuilder<'b> {
    /// Starts a response with `status`.
    pub fn new(buf: &'b mut [u8], status: u16) -> Self {
        ResponseBuilder {
            w: Writer::new(buf, "response"),
            status,
        }
    }

    /// Changes the status.
    pub fn set_status(&mut self, status: u16) {
        self.status = status;
    }

    /// The status so far.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Adds a header.
    pub fn header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.header_display(name, &value)
    }

    /// Adds a header whose value is written by `Display` (a `SetCookie`, a URL being built).
    pub fn header_display(&mut self, name: &str, value: &dyn fmt::Display) -> Result<(), Error> {
        self.w.push_str(name)?;
        self.w.push_str(": ")?;
        let start = self.w.len();
        fmt::write(&mut self.w, format_args!("{value}")).map_err(|_| self.w.overflow())?;
        // A header value can never carry a line break: refuse rather than split the response.
        if memchr::memchr2(b'\r', b'\n', &self.w.as_bytes()[start..]).is_some() {
            return Err(crate::ConfigError::Invalid {
                option: "header value",
                reason: "contains a line break",
            }
            .into());
        }
        self.w.push_str("\r\n")
    }

    /// The writer positioned for a header value: `name: ` is written, the caller writes the
    /// value, then calls [`ResponseBuilder::end_header`].
    pub fn begin_header(&mut self, name: &str) -> Result<&mut Writer<'b>, Error> {
        self.w.push_str(name)?;
        self.w.push_str(": ")?;
        Ok(&mut self.w)
    }

    /// Ends a header begun with [`ResponseBuilder::begin_header`].
    pub fn end_header(&mut self) -> Result<(), Error> {
        self.w.push_str("\r\n")
    }

    /// The cache headers the SDK adds whenever it writes a session cookie.
    pub fn no_cache(&mut self) -> Result<(), Error> {
        self.header(
            "Cache-Control",
            "private, no-cache, no-store, must-revalidate, max-age=0",
        )?;
        self.header("Pragma", "no-cache")?;
        self.header("Expires", "0")
    }

    /// Ends the headers and writes `body`.
    pub fn body(self, content_type: Option<&str>, body: &[u8]) -> Result<Response<'b>, Error> {
        let mut this = self;
        if let Some(ct) = content_type {
            this.header("Content-Type", ct)?;
        }
        let status = this.status;
        let (head, rest) = this.w.into_parts();
        let rest_len = rest.len();
        let dst = rest.get_mut(..body.len()).ok_or(Error::BufferTooSmall {
            what: "response",
            capacity: head.len() + rest_len,
        })?;
        dst.copy_from_slice(body);
        let head: &'b [u8] = head;
        Ok(Response {
            status,
            head: core::str::from_utf8(head).unwrap_or(""),
            body: dst,
        })
    }

    /// Ends the headers and returns the writer for the body (for bodies formatted in place,
    /// such as JSON), with a closure-free finish: call [`BodyWriter::finish`].
    pub fn body_writer(mut self, content_type: &str) -> Result<BodyWriter<'b>, Error> {
        self.header("Content-Type", content_type)?;
        let status = self.status;
        let (head, rest) = self.w.into_parts();
        let head: &'b [u8] = head;
        Ok(BodyWriter {
            status,
            head: core::str::from_utf8(head).unwrap_or(""),
            body: Writer::new(rest, "response body"),
        })
    }

    /// Ends the headers with an empty body.
    pub fn finish(self) -> Result<Response<'b>, Error> {
        self.body(None, &[])
    }
}

/// The body part of a response being written; see [`ResponseBuilder::body_writer`].
pub struct BodyWriter<'b> {
    status: u16,
    head: &'b str,
    /// The body.
    pub body: Writer<'b>,
}

impl<'b> BodyWriter<'b> {
    /// Ends the response.
    pub fn finish(self) -> Response<'b> {
        let body: &'b str = self.body.into_str();
        Response {
            status: self.status,
            head: self.head,
            body: body.as_bytes(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outgoing requests
// ---------------------------------------------------------------------------------------------

/// A request to the provider (token, discovery, JWKS, revocation endpoints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutgoingRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Header lines (`Content-Type`, `Authorization`, `DPoP`, …).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (form-encoded for token requests).
    pub body: &'a [u8],
}

/// A response from the provider, read by the runtime into a caller buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IncomingResponse<'b> {
    /// The status code.
    pub status: u16,
    /// The response headers as `Name: value` lines separated by CRLF.
    pub headers: &'b str,
    /// The body.
    pub body: &'b [u8],
}

impl<'b> IncomingResponse<'b> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'b str> {
        let headers: &'b str = self.headers;
        headers
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

/// Why an outgoing request failed in the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (refused, DNS, unreachable).
    Connect,
    /// The TLS handshake failed or the certificate was not trusted.
    Tls,
    /// No complete response within the runtime's timeout.
    Timeout,
    /// The connection broke or the response was not valid HTTP.
    Io,
    /// The response (headers and body) does not fit the buffer.
    ResponseTooLarge,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::Connect => "could not connect to the authorization server",
            TransportError::Tls => "the TLS handshake with the authorization server failed",
            TransportError::Timeout => "the authorization server did not answer in time",
            TransportError::Io => "the connection to the authorization server broke",
            TransportError::ResponseTooLarge => "the authorization server's response is too large",
        })
    }
}

impl core::error::Error for TransportError {}

/// Where a response read by a [`Transport`] lies in the caller's buffer: the header lines at
/// `buf[..headers_len]` (`Name: value` separated by CRLF), then the body at
/// `buf[headers_len..headers_len + body_len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// Bytes of header lines at the start of the buffer.
    pub headers_len: usize,
    /// Bytes of body after them.
    pub body_len: usize,
}

impl ResponseHead {
    /// The response as a view of `buf` (the buffer the transport wrote into); `None` if the
    /// lengths do not fit it.
    pub fn view<'b>(&self, buf: &'b [u8]) -> Option<IncomingResponse<'b>> {
        let headers = core::str::from_utf8(buf.get(..self.headers_len)?).ok()?;
        let body = buf.get(self.headers_len..self.headers_len.checked_add(self.body_len)?)?;
        Some(IncomingResponse {
            status: self.status,
            headers,
            body,
        })
    }
}

/// Sends one HTTP request and reads the response; implemented by each runtime.
///
/// The runtime enforces its timeout, writes the response header lines and then the body into
/// `buf`, and says where they are.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: the same flows run on embassy.
pub trait Transport {
    /// Sends `req`; reads the response into `buf`.
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError>;
}

/// The current time; implemented by each runtime.
pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> UnixTime;
}

/// A clock that always returns the same time (for tests and examples).
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_a_response() {
        let mut buf = [0u8; 256];
        let mut b = ResponseBuilder::new(&mut buf, 307);
        b.header("Location", "https://example.com/").unwrap();
        b.header("Set-Cookie", "a=1").unwrap();
        b.header("Set-Cookie", "b=2").unwrap();
        assert!(b.header("X", "bad\r\nInjected: 1").is_err());
        let r = b.body(Some("text/plain"), b"hi").unwrap();
        assert_eq!(r.status, 307);
        assert_eq!(r.header("location"), Some("https://example.com/"));
        assert_eq!(r.headers().filter(|(k, _)| *k == "Set-Cookie").count(), 2);
        assert_eq!(r.body_str(), "hi");
    }

    #[test]
    fn request_views() {
        let h = [("Cookie", "a=1"), ("Host", "x")];
        let r = Request::get("/auth/login?returnTo=%2F", &h);
        assert_eq!(
            (r.path, r.query, r.cookie()),
            ("/auth/login", "returnTo=%2F", "a=1")
        );
        let resp = IncomingResponse {
            status: 200,
            headers: "DPoP-Nonce: abc\r\nContent-Type: x",
            body: b"",
        };
        assert_eq!(resp.header("dpop-nonce"), Some("abc"));
    }
}
