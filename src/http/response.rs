//! Responses the core makes: a [`ResponseBuilder`] writes status, headers and body into a caller
//! buffer; a [`Response`] reads them back.

use super::*;

/// A response made by the core: a status, header lines and a body, all in one caller buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Response<'b> {
    /// The status code.
    pub status: u16,
    /// Something that failed and that this response works around (a session record the store
    /// could not delete, the cookies cleared anyway), for the runtime to log. Never sent.
    pub warning: Option<&'static str>,
    head: &'b str,
    /// The body.
    pub body: &'b [u8],
}

impl<'b> Response<'b> {
    /// A 200 response with no headers and no body.
    pub const EMPTY: Response<'static> = Response {
        status: 200,
        warning: None,
        head: "",
        body: &[],
    };

    /// The header lines' length in bytes (names, values and line ends): a bound on the values'
    /// total length.
    pub fn head_len(&self) -> usize {
        self.head.len()
    }

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
    warning: Option<&'static str>,
}

impl<'b> ResponseBuilder<'b> {
    /// Starts a response with `status`.
    pub fn new(buf: &'b mut [u8], status: u16) -> Self {
        ResponseBuilder {
            w: Writer::new(buf, "response"),
            status,
            warning: None,
        }
    }

    /// Records a failure the response works around; see [`Response::warning`].
    pub fn set_warning(&mut self, warning: &'static str) {
        self.warning = Some(warning);
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
            warning: this.warning,
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
            warning: self.warning,
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
    warning: Option<&'static str>,
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
            warning: self.warning,
            head: self.head,
            body: body.as_bytes(),
        }
    }
}
