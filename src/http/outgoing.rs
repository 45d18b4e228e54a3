//! Requests to the provider and their answers: an [`OutgoingRequest`] goes to the runtime's
//! [`crate::runtime::Transport`], which writes the answer into a caller buffer and says where it
//! lies ([`ResponseHead`]); an [`IncomingResponse`] views it.

/// A request to the provider (token, discovery, JWKS, revocation endpoints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built by flows and by custom transports' tests with a struct literal
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
#[allow(clippy::exhaustive_structs)] // built with a struct literal by transports and tests
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

/// Where a response read by a [`crate::runtime::Transport`] lies in the caller's buffer: the header lines at
/// `buf[..headers_len]` (`Name: value` separated by CRLF), then the body at
/// `buf[headers_len..headers_len + body_len]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built by every transport with a struct literal
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
