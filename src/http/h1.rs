//! HTTP/1.1 for a client, sans-IO (RFC 9112): a [`RequestHead`] checks and writes a request
//! head piece by piece (so a runtime can write it straight into its connection), and a
//! [`ResponseParser`] reads a response fed in pieces of any size, as they arrive, into a caller
//! buffer in the layout of the [`crate::runtime::Transport`] contract: the header lines
//! `Name: value\r\n`, then the body, described by a [`ResponseHead`].
//!
//! The parser keeps no copy of its own: the line being read lies in the caller's buffer where
//! the header line will stay, and chunked bodies are decoded in place. Its own state is a few
//! words, so memory is bounded by the caller's buffer; every size is checked ([`Limits`]) and
//! every malformed input is an [`H1Error`], never a panic.
//!
//! What it does, from RFC 9112:
//!
//! - status line `HTTP/1.0` or `HTTP/1.1`, three-digit status; interim (1xx) responses are
//!   skipped, `101 Switching Protocols` is refused (the client never asks to upgrade);
//! - header lines: the name must be a token with no space before the colon, the value is
//!   trimmed; obsolete line folding is replaced by a space (§5.2); a line whose value is not
//!   visible ASCII is left out (the core reads headers as `&str`, as the tokio transport does);
//!   a bare LF ends a line (§2.2), a CR anywhere else is an error;
//! - the body (§6.3): none for `HEAD`, 1xx, 204 and 304; `Transfer-Encoding: chunked` (any
//!   other coding is refused: the client asks for none), chunk extensions and trailers read and
//!   dropped; otherwise `Content-Length` (repeated values must agree); otherwise until the
//!   connection closes ([`ResponseParser::finish`]).

use super::ResponseHead;
use core::fmt;

/// Why an HTTP/1.1 message could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum H1Error {
    /// The status line is not `HTTP/1.x NNN reason`.
    BadStatusLine,
    /// The response is not HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
    /// The server switched protocols (101), which the client never asks for.
    UnexpectedUpgrade,
    /// A header line is malformed (no colon, a bad name, a control character).
    BadHeader,
    /// A status, header, chunk-size or trailer line is longer than the limit.
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// More header (or trailer) lines than the limit.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// `Content-Length` is not a number, or its values disagree.
    BadContentLength,
    /// A transfer coding other than `chunked`.
    UnsupportedTransferCoding,
    /// A chunk size or the line end after a chunk is malformed.
    BadChunk,
    /// The connection closed before the response was complete.
    UnexpectedEof,
    /// The header lines and body do not fit the caller's buffer.
    BufferTooSmall {
        /// The buffer's size.
        capacity: usize,
    },
    /// A request method, target, host or header cannot be written as HTTP/1.1.
    InvalidRequest {
        /// Which part.
        what: &'static str,
    },
}

impl fmt::Display for H1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            H1Error::BadStatusLine => f.write_str("malformed HTTP status line from the server"),
            H1Error::UnsupportedVersion => {
                f.write_str("the server did not answer with HTTP/1.0 or HTTP/1.1")
            }
            H1Error::UnexpectedUpgrade => {
                f.write_str("the server switched protocols (101) though the client did not ask")
            }
            H1Error::BadHeader => f.write_str("malformed header line from the server"),
            H1Error::LineTooLong { limit } => write!(
                f,
                "a line of the server's response is longer than {limit} bytes: raise the limit if the server is trusted"
            ),
            H1Error::TooManyHeaders { limit } => write!(
                f,
                "the server's response has more than {limit} header lines: raise the limit if the server is trusted"
            ),
            H1Error::BadContentLength => {
                f.write_str("the server's Content-Length is invalid or contradicts itself")
            }
            H1Error::UnsupportedTransferCoding => f.write_str(
                "the server used a transfer coding other than chunked, which the client did not ask for",
            ),
            H1Error::BadChunk => f.write_str("malformed chunked body from the server"),
            H1Error::UnexpectedEof => {
                f.write_str("the connection closed before the response was complete")
            }
            H1Error::BufferTooSmall { capacity } => write!(
                f,
                "the response does not fit the {capacity}-byte buffer: pass a larger buffer"
            ),
            H1Error::InvalidRequest { what } => write!(
                f,
                "the request's {what} cannot be written in HTTP/1.1 (a control character, a space or a header the client writes itself)"
            ),
        }
    }
}

impl core::error::Error for H1Error {}

impl From<H1Error> for crate::runtime::TransportError {
    /// A response too large for the buffer is [`crate::runtime::TransportError::ResponseTooLarge`];
    /// anything else is not valid HTTP ([`crate::runtime::TransportError::Io`]).
    fn from(e: H1Error) -> Self {
        match e {
            H1Error::BufferTooSmall { .. } => crate::runtime::TransportError::ResponseTooLarge,
            _ => crate::runtime::TransportError::Io,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// Header names a [`RequestHead`] writes itself and refuses from the caller.
const RESERVED: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// A checked HTTP/1.1 request head: the request line, `Host`, the caller's headers,
/// `Content-Length` and `Connection`.
///
/// ```
/// use auth0_edge::http::h1::RequestHead;
/// let head = RequestHead::new("POST", "tenant.auth0.com", "/oauth/token", None, &[("Content-Type", "application/x-www-form-urlencoded")], 9)?;
/// let mut buf = [0u8; 256];
/// let n = head.write_into(&mut buf)?;
/// assert_eq!(&buf[..n], &b"POST /oauth/token HTTP/1.1\r\nHost: tenant.auth0.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"[..]);
/// # Ok::<(), auth0_edge::http::h1::H1Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestHead<'a> {
    method: &'a str,
    host: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a [(&'a str, &'a str)],
    user_agent: Option<&'a str>,
    length: Option<([u8; 20], u8)>,
    keep_alive: bool,
}

impl<'a> RequestHead<'a> {
    /// Checks a request: `method` a token, `host` the authority (`host[:port]`), `path` and
    /// `query` (without `?`) the origin form (an empty path is written `/`), `headers` the caller's (not `Host`, `Content-Length`,
    /// `Transfer-Encoding` or `Connection`, which are written here), `body_len` the body's
    /// length (`Content-Length` is written unless a `GET` or `HEAD` has no body).
    pub fn new(
        method: &'a str,
        host: &'a str,
        path: &'a str,
        query: Option<&'a str>,
        headers: &'a [(&'a str, &'a str)],
        body_len: usize,
    ) -> Result<Self, H1Error> {
        let bad = |what| Err(H1Error::InvalidRequest { what });
        if method.is_empty() || !method.bytes().all(is_tchar) {
            return bad("method");
        }
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"/?#@".contains(&b))
        {
            return bad("host");
        }
        let graphic = |t: &str| t.bytes().all(|b| b.is_ascii_graphic() && b != b'#');
        if !(path.is_empty() || path.starts_with('/')) || !graphic(path) || path.contains('?') {
            return bad("path");
        }
        if query.is_some_and(|q| !graphic(q)) {
            return bad("query");
        }
        for (name, value) in headers {
            if name.is_empty() || !name.bytes().all(is_tchar) {
                return bad("header name");
            }
            if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
                return bad("header name");
            }
            if !value.bytes().all(is_field_byte) {
                return bad("header value");
            }
        }
        let length = if body_len > 0 || !(method == "GET" || method == "HEAD") {
            Some(decimal(body_len as u64))
        } else {
            None
        };
        Ok(RequestHead {
            method,
            host,
            path,
            query,
            headers,
            user_agent: None,
            length,
            keep_alive: false,
        })
    }

    /// Adds a `User-Agent` header (checked like the others).
    pub fn user_agent(mut self, ua: &'a str) -> Result<Self, H1Error> {
        if !ua.bytes().all(is_field_byte)
            || self
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        {
            return Err(H1Error::InvalidRequest { what: "user agent" });
        }
        self.user_agent = Some(ua);
        Ok(self)
    }

    /// Leaves out `Connection: close`, for a client that reuses connections. By default the
    /// head asks the server to close the connection after the response.
    pub fn keep_alive(mut self) -> Self {
        self.keep_alive = true;
        self
    }

    /// The head's bytes, in order, ending with the empty line; write them as they come.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let none: [&[u8]; 3] = [b"", b"", b""];
        let length: [&[u8]; 3] = match &self.length {
            Some((digits, n)) => [
                b"Content-Length: ",
                &digits[20 - usize::from(*n)..],
                b"\r\n",
            ],
            None => none,
        };
        let ua: [&[u8]; 3] = match self.user_agent {
            Some(ua) => [b"User-Agent: ", ua.as_bytes(), b"\r\n"],
            None => none,
        };
        let close: &[u8] = if self.keep_alive {
            b""
        } else {
            b"Connection: close\r\n"
        };
        [
            self.method.as_bytes(),
            b" ",
            if self.path.is_empty() {
                b"/"
            } else {
                self.path.as_bytes()
            },
            if self.query.is_some() { b"?" } else { b"" },
            self.query.unwrap_or("").as_bytes(),
            b" HTTP/1.1\r\nHost: ",
            self.host.as_bytes(),
            b"\r\n",
        ]
        .into_iter()
        .chain(ua)
        .chain(
            self.headers
                .iter()
                .flat_map(|(k, v)| [k.as_bytes(), b": ", v.as_bytes(), b"\r\n"]),
        )
        .chain(length)
        .chain([close, b"\r\n"])
        .filter(|p| !p.is_empty())
    }

    /// The head's length in bytes.
    pub fn len(&self) -> usize {
        self.pieces().map(<[u8]>::len).sum()
    }

    /// Always `false`: a head has at least a request line.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes the head into `out` and returns its length.
    pub fn write_into(&self, out: &mut [u8]) -> Result<usize, H1Error> {
        let mut n = 0;
        let capacity = out.len();
        for p in self.pieces() {
            let dst = out
                .get_mut(n..n + p.len())
                .ok_or(H1Error::BufferTooSmall { capacity })?;
            dst.copy_from_slice(p);
            n += p.len();
        }
        Ok(n)
    }
}

/// `n` in decimal, right-aligned in 20 bytes, and its digit count.
fn decimal(n: u64) -> ([u8; 20], u8) {
    let mut d = [0u8; 20];
    let len = crate::codec::buf::decimal(n, &mut d).len();
    (d, len as u8)
}

/// A token character (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A byte allowed in a field value we write: visible ASCII, space, tab and non-ASCII
/// (`obs-text`); no other control character.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b != 0x7f)
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// The size limits of a [`ResponseParser`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest status, header, chunk-size or trailer line, in bytes.
    pub max_line: usize,
    /// The most header lines (and, separately, trailer lines).
    pub max_headers: usize,
}

impl Limits {
    /// The default limits: lines of 8 KiB, 100 headers.
    pub const DEFAULT: Limits = Limits {
        max_line: 8192,
        max_headers: 100,
    };

    /// Limits of `max_line` bytes per line and `max_headers` lines.
    pub const fn new(max_line: usize, max_headers: usize) -> Self {
        Limits {
            max_line,
            max_headers,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading the status line into the buffer.
    Status,
    /// Reading a header line into the buffer.
    Header,
    /// `remaining` body bytes to go.
    Length(u64),
    /// A chunked body.
    Chunk(Chunk),
    /// The body runs until the connection closes.
    Close,
    /// The response is complete.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// Reading the chunk size (`digits` read so far).
    Size { value: u64, digits: u8 },
    /// Skipping a chunk extension after the size `value`.
    Ext { value: u64 },
    /// A CR was read after the size `value`; LF must follow.
    SizeLf { value: u64 },
    /// Chunk data to go.
    Data(u64),
    /// The CRLF after the data.
    DataCr,
    /// The LF after the data's CR.
    DataLf,
    /// A trailer line of `len` bytes so far; `cr` when a CR was just read.
    Trailer { len: usize, cr: bool },
}

/// Reads one HTTP/1.1 response, fed in pieces, into a caller buffer; see the
/// [module docs](self).
///
/// Feed every piece with the same `out` buffer (the parser keeps offsets into it) until
/// [`ResponseParser::feed`] says the response is complete, or call
/// [`ResponseParser::finish`] when the connection closes.
///
/// ```
/// use auth0_edge::http::h1::ResponseParser;
/// let mut p = ResponseParser::new(false);
/// let mut out = [0u8; 128];
/// p.feed(b"HTTP/1.1 200 OK\r\nContent-Type:  text/plain \r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", &mut out)?;
/// p.feed(b"lo\r\n0\r\n\r\n", &mut out)?;
/// let head = p.head().unwrap();
/// let r = head.view(&out).unwrap();
/// assert_eq!((r.status, r.header("content-type"), r.body), (200, Some("text/plain"), &b"hello"[..]));
/// # Ok::<(), auth0_edge::http::h1::H1Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ResponseParser {
    limits: Limits,
    is_head: bool,
    state: State,
    status: u16,
    /// Bytes of finished header lines at the start of `out`.
    head: usize,
    /// Bytes of the line being read, at `out[head..]`.
    line: usize,
    /// Where the last kept header line starts, for obs-fold.
    last_start: Option<usize>,
    /// Header (then trailer) lines so far.
    lines: usize,
    body: usize,
}

impl ResponseParser {
    /// A parser for the response to a request; `is_head` when the request was a `HEAD`
    /// (whose response has no body whatever its headers say).
    pub fn new(is_head: bool) -> Self {
        Self::with_limits(is_head, Limits::DEFAULT)
    }

    /// A parser with other [`Limits`].
    pub fn with_limits(is_head: bool, limits: Limits) -> Self {
        ResponseParser {
            limits,
            is_head,
            state: State::Status,
            status: 0,
            head: 0,
            line: 0,
            last_start: None,
            lines: 0,
            body: 0,
        }
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// The complete response's place in the buffer, once [`ResponseParser::is_complete`].
    pub fn head(&self) -> Option<ResponseHead> {
        self.is_complete().then_some(ResponseHead {
            status: self.status,
            headers_len: self.head,
            body_len: self.body,
        })
    }

    /// Reads `input` into `out` and returns how many bytes of it were used: all of them until
    /// the response is complete, fewer if it ends inside `input` (the rest is not part of it).
    pub fn feed(&mut self, input: &[u8], out: &mut [u8]) -> Result<usize, H1Error> {
        let mut i = 0;
        while self.state != State::Done && i < input.len() {
            let rest = &input[i..];
            i += match self.state {
                State::Status | State::Header => self.read_line(rest, out)?,
                State::Length(remaining) => {
                    let n = rest
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    self.push_body(&rest[..n], out)?;
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::Done
                    } else {
                        State::Length(left)
                    };
                    n
                }
                State::Close => {
                    self.push_body(rest, out)?;
                    rest.len()
                }
                State::Chunk(Chunk::Data(remaining)) => {
                    let n = rest
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    self.push_body(&rest[..n], out)?;
                    let left = remaining - n as u64;
                    self.state = State::Chunk(if left == 0 {
                        Chunk::DataCr
                    } else {
                        Chunk::Data(left)
                    });
                    n
                }
                State::Chunk(c) => {
                    self.chunk_byte(c, rest[0], out.len())?;
                    1
                }
                State::Done => 0,
            };
        }
        Ok(i)
    }

    /// The connection closed: the response if its body runs until the close (or it was
    /// already complete), else [`H1Error::UnexpectedEof`].
    pub fn finish(&mut self) -> Result<ResponseHead, H1Error> {
        if self.state == State::Close {
            self.state = State::Done;
        }
        self.head().ok_or(H1Error::UnexpectedEof)
    }

    fn too_small(out: &[u8]) -> H1Error {
        H1Error::BufferTooSmall {
            capacity: out.len(),
        }
    }

    fn push_body(&mut self, bytes: &[u8], out: &mut [u8]) -> Result<(), H1Error> {
        let at = self.head + self.body;
        let capacity = out.len();
        let dst = out
            .get_mut(at..at + bytes.len())
            .ok_or(H1Error::BufferTooSmall { capacity })?;
        dst.copy_from_slice(bytes);
        self.body += bytes.len();
        Ok(())
    }

    /// Appends to the line being read; at its LF, handles it. Returns the bytes used.
    fn read_line(&mut self, input: &[u8], out: &mut [u8]) -> Result<usize, H1Error> {
        let (part, complete) = match memchr::memchr(b'\n', input) {
            Some(p) => (&input[..p], true),
            None => (input, false),
        };
        let at = self.head + self.line;
        let capacity = out.len();
        // Whichever room runs out first is the error, so the error does not depend on how
        // the input was split.
        let line_room = self.limits.max_line.saturating_sub(self.line);
        let buf_room = capacity.saturating_sub(at);
        if part.len() > line_room.min(buf_room) {
            return Err(if line_room <= buf_room {
                H1Error::LineTooLong {
                    limit: self.limits.max_line,
                }
            } else {
                H1Error::BufferTooSmall { capacity }
            });
        }
        let dst = &mut out[at..at + part.len()];
        dst.copy_from_slice(part);
        self.line += part.len();
        if complete {
            self.end_line(out)?;
        }
        Ok(part.len() + usize::from(complete))
    }

    fn end_line(&mut self, out: &mut [u8]) -> Result<(), H1Error> {
        let start = self.head;
        let mut len = self.line;
        self.line = 0;
        if len > 0 && out[start + len - 1] == b'\r' {
            len -= 1;
        }
        let line = &out[start..start + len];
        if memchr::memchr(b'\r', line).is_some() {
            return Err(if self.state == State::Status {
                H1Error::BadStatusLine
            } else {
                H1Error::BadHeader
            });
        }
        if self.state == State::Status {
            self.status = parse_status_line(line)?;
            if self.status == 101 {
                return Err(H1Error::UnexpectedUpgrade);
            }
            self.state = State::Header;
            return Ok(());
        }
        if len == 0 {
            return self.end_head(out);
        }
        self.lines += 1;
        if self.lines > self.limits.max_headers {
            return Err(H1Error::TooManyHeaders {
                limit: self.limits.max_headers,
            });
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return self.fold(start, len, out);
        }
        let colon = memchr::memchr(b':', line).ok_or(H1Error::BadHeader)?;
        if colon == 0 || !line[..colon].iter().all(|&b| is_tchar(b)) {
            return Err(H1Error::BadHeader);
        }
        let (v0, v1) = trim_ows(line, colon + 1, len);
        match check_value(&line[v0..v1])? {
            false => {
                // Not visible ASCII: left out; a fold after it is left out too.
                self.last_start = None;
                Ok(())
            }
            true => {
                let vlen = v1 - v0;
                let need = colon + 2 + vlen + 2;
                if start + need > out.len() {
                    return Err(Self::too_small(out));
                }
                out.copy_within(start + v0..start + v1, start + colon + 2);
                out[start + colon..start + colon + 2].copy_from_slice(b": ");
                out[start + need - 2..start + need].copy_from_slice(b"\r\n");
                self.last_start = Some(start);
                self.head = start + need;
                Ok(())
            }
        }
    }

    /// Obsolete line folding (RFC 9112 §5.2): the continuation joins the previous value after
    /// one space.
    fn fold(&mut self, start: usize, len: usize, out: &mut [u8]) -> Result<(), H1Error> {
        let Some(prev) = self.last_start else {
            // Nothing to continue: a fold as the first line, or after a line left out.
            return if self.lines == 1 {
                Err(H1Error::BadHeader)
            } else {
                Ok(())
            };
        };
        let (v0, v1) = trim_ows(&out[start..start + len], 0, len);
        let keep = check_value(&out[start + v0..start + v1])?;
        if !keep {
            self.head = prev;
            self.last_start = None;
            return Ok(());
        }
        if v1 > v0 {
            // The previous line ends with CRLF at start-2; its value goes on from there,
            // after one space unless it is empty (`Name: ` then CRLF: values are trimmed, so
            // a space before the CRLF is the one after the colon).
            let mut at = start - 2;
            if out[at - 1] != b' ' {
                out[at] = b' ';
                at += 1;
            }
            out.copy_within(start + v0..start + v1, at);
            let end = at + (v1 - v0);
            out[end..end + 2].copy_from_slice(b"\r\n");
            self.head = end + 2;
        }
        Ok(())
    }

    /// The empty line after the headers: skip an interim response, else choose the body's
    /// framing (RFC 9112 §6.3).
    fn end_head(&mut self, out: &mut [u8]) -> Result<(), H1Error> {
        if (100..200).contains(&self.status) {
            self.head = 0;
            self.lines = 0;
            self.last_start = None;
            self.state = State::Status;
            return Ok(());
        }
        self.lines = 0;
        let headers = &out[..self.head];
        if self.is_head || self.status == 204 || self.status == 304 {
            self.state = State::Done;
            return Ok(());
        }
        let mut codings = 0;
        let mut chunked_last = false;
        let mut length: Option<u64> = None;
        for (name, value) in header_lines(headers) {
            if name.eq_ignore_ascii_case(b"transfer-encoding") {
                for coding in value.split(|&b| b == b',') {
                    let (a, b) = trim_ows(coding, 0, coding.len());
                    let coding = &coding[a..b];
                    if coding.is_empty() {
                        continue;
                    }
                    codings += 1;
                    chunked_last = coding.eq_ignore_ascii_case(b"chunked");
                }
            } else if name.eq_ignore_ascii_case(b"content-length") {
                for v in value.split(|&b| b == b',') {
                    let (a, b) = trim_ows(v, 0, v.len());
                    let n = parse_decimal(&v[a..b]).ok_or(H1Error::BadContentLength)?;
                    if length.is_some_and(|l| l != n) {
                        return Err(H1Error::BadContentLength);
                    }
                    length = Some(n);
                }
            }
        }
        let room = (out.len() - self.head) as u64;
        self.state = if codings > 0 {
            if codings != 1 || !chunked_last {
                return Err(H1Error::UnsupportedTransferCoding);
            }
            State::Chunk(Chunk::Size {
                value: 0,
                digits: 0,
            })
        } else if let Some(n) = length {
            if n > room {
                return Err(Self::too_small(out));
            }
            if n == 0 {
                State::Done
            } else {
                State::Length(n)
            }
        } else {
            State::Close
        };
        Ok(())
    }

    fn chunk_byte(&mut self, c: Chunk, b: u8, capacity: usize) -> Result<(), H1Error> {
        let max_line = self.limits.max_line;
        let next = match c {
            Chunk::Size { value, digits } => match b {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                    if usize::from(digits) >= max_line.min(32) {
                        return Err(H1Error::LineTooLong {
                            limit: max_line.min(32),
                        });
                    }
                    let d = (b as char).to_digit(16).unwrap_or(0);
                    let value = value
                        .checked_mul(16)
                        .and_then(|v| v.checked_add(u64::from(d)))
                        .ok_or(H1Error::BadChunk)?;
                    Chunk::Size {
                        value,
                        digits: digits + 1,
                    }
                }
                _ if digits == 0 => return Err(H1Error::BadChunk),
                b';' | b' ' | b'\t' => {
                    self.line = 1;
                    Chunk::Ext { value }
                }
                b'\r' => Chunk::SizeLf { value },
                b'\n' => return self.end_size(value, capacity),
                _ => return Err(H1Error::BadChunk),
            },
            Chunk::Ext { value } => match b {
                b'\r' => Chunk::SizeLf { value },
                b'\n' => return self.end_size(value, capacity),
                b'\t' | b' '..=0x7e | 0x80..=0xff => {
                    self.line += 1;
                    if self.line > max_line {
                        return Err(H1Error::LineTooLong { limit: max_line });
                    }
                    Chunk::Ext { value }
                }
                _ => return Err(H1Error::BadChunk),
            },
            Chunk::SizeLf { value } => match b {
                b'\n' => return self.end_size(value, capacity),
                _ => return Err(H1Error::BadChunk),
            },
            Chunk::DataCr => match b {
                b'\r' => Chunk::DataLf,
                b'\n' => Chunk::Size {
                    value: 0,
                    digits: 0,
                },
                _ => return Err(H1Error::BadChunk),
            },
            Chunk::DataLf => match b {
                b'\n' => Chunk::Size {
                    value: 0,
                    digits: 0,
                },
                _ => return Err(H1Error::BadChunk),
            },
            Chunk::Trailer { len, cr } => match (b, cr) {
                (b'\n', _) if len == 0 => {
                    self.state = State::Done;
                    return Ok(());
                }
                (b'\n', _) => {
                    self.lines += 1;
                    if self.lines > self.limits.max_headers {
                        return Err(H1Error::TooManyHeaders {
                            limit: self.limits.max_headers,
                        });
                    }
                    Chunk::Trailer { len: 0, cr: false }
                }
                (_, true) => return Err(H1Error::BadHeader),
                (b'\r', false) => Chunk::Trailer { len, cr: true },
                (b'\t' | b' '..=0x7e | 0x80..=0xff, false) => {
                    if len + 1 > max_line {
                        return Err(H1Error::LineTooLong { limit: max_line });
                    }
                    Chunk::Trailer {
                        len: len + 1,
                        cr: false,
                    }
                }
                _ => return Err(H1Error::BadHeader),
            },
            Chunk::Data(_) => c,
        };
        self.state = State::Chunk(next);
        Ok(())
    }

    fn end_size(&mut self, value: u64, capacity: usize) -> Result<(), H1Error> {
        self.line = 0;
        let room = (capacity - self.head - self.body) as u64;
        self.state = State::Chunk(if value == 0 {
            Chunk::Trailer { len: 0, cr: false }
        } else if value > room {
            return Err(H1Error::BufferTooSmall { capacity });
        } else {
            Chunk::Data(value)
        });
        Ok(())
    }
}

/// `HTTP/1.x NNN reason` → the status.
fn parse_status_line(line: &[u8]) -> Result<u16, H1Error> {
    let rest = line.strip_prefix(b"HTTP/").ok_or(H1Error::BadStatusLine)?;
    let (version, rest) = rest.split_at_checked(3).ok_or(H1Error::BadStatusLine)?;
    if !(version[0].is_ascii_digit() && version[1] == b'.' && version[2].is_ascii_digit()) {
        return Err(H1Error::BadStatusLine);
    }
    if version != b"1.1" && version != b"1.0" {
        return Err(H1Error::UnsupportedVersion);
    }
    let code = rest.strip_prefix(b" ").ok_or(H1Error::BadStatusLine)?;
    let (code, reason) = code.split_at_checked(3).ok_or(H1Error::BadStatusLine)?;
    if !code.iter().all(u8::is_ascii_digit) || !(reason.is_empty() || reason[0] == b' ') {
        return Err(H1Error::BadStatusLine);
    }
    if reason.iter().any(|&b| b < b' ' && b != b'\t' || b == 0x7f) {
        return Err(H1Error::BadStatusLine);
    }
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if !(100..=599).contains(&status) {
        return Err(H1Error::BadStatusLine);
    }
    Ok(status)
}

/// The bounds of `line[from..to]` without leading and trailing spaces and tabs.
fn trim_ows(line: &[u8], from: usize, to: usize) -> (usize, usize) {
    let mut a = from;
    let mut b = to;
    while a < b && (line[a] == b' ' || line[a] == b'\t') {
        a += 1;
    }
    while b > a && (line[b - 1] == b' ' || line[b - 1] == b'\t') {
        b -= 1;
    }
    (a, b)
}

/// `Ok(true)` for a value of visible ASCII, spaces and tabs; `Ok(false)` when it has non-ASCII
/// bytes (kept out); an error for a control character.
fn check_value(v: &[u8]) -> Result<bool, H1Error> {
    let mut ascii = true;
    for &b in v {
        match b {
            b'\t' | b' '..=0x7e => {}
            0x80..=0xff => ascii = false,
            _ => return Err(H1Error::BadHeader),
        }
    }
    Ok(ascii)
}

fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// The `Name: value\r\n` lines the parser wrote.
fn header_lines(headers: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers.split(|&b| b == b'\n').filter_map(|l| {
        let l = l.strip_suffix(b"\r")?;
        let colon = memchr::memchr(b':', l)?;
        Some((&l[..colon], l.get(colon + 2..).unwrap_or(b"")))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// Feeds `input` in pieces of `step` bytes.
    fn parse_in(input: &[u8], step: usize, out: &mut [u8]) -> Result<ResponseHead, H1Error> {
        let mut p = ResponseParser::new(false);
        for piece in input.chunks(step.max(1)) {
            p.feed(piece, out)?;
            if p.is_complete() {
                break;
            }
        }
        p.finish()
    }

    fn parse_all(input: &[u8]) -> Result<(u16, std::string::String, std::vec::Vec<u8>), H1Error> {
        let mut first = None;
        for step in [1, 2, 3, 7, 64, input.len()] {
            let mut out = [0u8; 1024];
            let head = parse_in(input, step, &mut out)?;
            let r = head.view(&out).unwrap();
            let got = (r.status, r.headers.into(), r.body.to_vec());
            if let Some(f) = &first {
                assert_eq!(f, &got, "step {step}");
            }
            first = Some(got);
        }
        Ok(first.unwrap())
    }

    #[test]
    fn content_length() {
        let (status, headers, body) = parse_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nDPoP-Nonce:abc\r\n\r\n{}trailing",
        )
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(
            headers,
            "Content-Type: application/json\r\nContent-Length: 2\r\nDPoP-Nonce: abc\r\n"
        );
        assert_eq!(body, b"{}");
    }

    #[test]
    fn used_bytes_stop_at_the_end() {
        let mut p = ResponseParser::new(false);
        let mut out = [0u8; 128];
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz";
        assert_eq!(p.feed(input, &mut out).unwrap(), input.len() - 2);
        assert!(p.is_complete());
        assert_eq!(p.feed(b"more", &mut out).unwrap(), 0);
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let (_, headers, body) = parse_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n4;name=\"v\"\r\nWiki\r\n5\r\npedia\r\nE \r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n",
        )
        .unwrap();
        assert_eq!(headers, "Transfer-Encoding: Chunked\r\n");
        assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.");
        // Bare LF line ends, upper-case hex.
        let (_, _, body) =
            parse_all(b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nA\n0123456789\n0\n\n")
                .unwrap();
        assert_eq!(body, b"0123456789");
    }

    #[test]
    fn close_delimited_and_no_body() {
        let (_, _, body) = parse_all(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close").unwrap();
        assert_eq!(body, b"until close");
        for input in [
            &b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"[..],
            b"HTTP/1.1 304 Not Modified\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ] {
            let mut p = ResponseParser::new(false);
            let mut out = [0u8; 64];
            p.feed(input, &mut out).unwrap();
            assert!(p.is_complete(), "{input:?}");
            assert_eq!(p.head().unwrap().body_len, 0);
        }
        let mut p = ResponseParser::new(true);
        let mut out = [0u8; 64];
        p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &mut out)
            .unwrap();
        assert!(p.is_complete());
    }

    #[test]
    fn interim_responses_are_skipped_and_upgrades_refused() {
        let (status, headers, body) = parse_all(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            (status, headers.as_str(), body.len()),
            (
                401,
                "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nContent-Length: 0\r\n",
                0
            )
        );
        assert_eq!(
            parse_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"),
            Err(H1Error::UnexpectedUpgrade)
        );
    }

    #[test]
    fn folding_and_non_ascii_values() {
        let (_, headers, _) = parse_all(
            b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two \r\n\tthree\r\nX-B: caf\xc3\xa9\r\n more\r\nX-C: c\r\nX-D:\r\n  d\r\n \r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            headers,
            "X-A: one two three\r\nX-C: c\r\nX-D: d\r\nContent-Length: 0\r\n"
        );
        assert_eq!(
            parse_all(b"HTTP/1.1 200 OK\r\n folded\r\n\r\n"),
            Err(H1Error::BadHeader)
        );
    }

    #[test]
    fn hostile_input_gives_typed_errors() {
        let cases: &[(&[u8], H1Error)] = &[
            (b"HTTP/2 200 OK\r\n\r\n", H1Error::BadStatusLine),
            (b"HTTP/2.0 200 OK\r\n\r\n", H1Error::UnsupportedVersion),
            (b"HTTP/1.1 20 OK\r\n\r\n", H1Error::BadStatusLine),
            (b"HTTP/1.1 600 Huh\r\n\r\n", H1Error::BadStatusLine),
            (b"HTTP/1.1 200 O\rK\r\n\r\n", H1Error::BadStatusLine),
            (b"garbage\r\n\r\n", H1Error::BadStatusLine),
            (b"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", H1Error::BadHeader),
            (b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", H1Error::BadHeader),
            (b"HTTP/1.1 200 OK\r\n: v\r\n\r\n", H1Error::BadHeader),
            (b"HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n", H1Error::BadHeader),
            (b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", H1Error::BadHeader),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                H1Error::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                H1Error::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                H1Error::BadContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                H1Error::UnexpectedEof,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                H1Error::UnsupportedTransferCoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                H1Error::UnsupportedTransferCoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                H1Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;x\r\n",
                H1Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
                H1Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\rx",
                H1Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
                H1Error::BadChunk,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n",
                H1Error::UnexpectedEof,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: x\ry\r\n",
                H1Error::BadHeader,
            ),
            (b"HTTP/1.1 200 OK\r\n", H1Error::UnexpectedEof),
            (b"", H1Error::UnexpectedEof),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_all(input).err(),
                Some(*want),
                "{}",
                std::string::String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn limits_and_buffer_size() {
        let mut out = [0u8; 64];
        let mut p = ResponseParser::with_limits(false, Limits::new(16, 2));
        assert_eq!(
            p.feed(b"HTTP/1.1 200 OK\r\nX-Long-Header: 12345", &mut out),
            Err(H1Error::LineTooLong { limit: 16 })
        );
        let mut p = ResponseParser::with_limits(false, Limits::new(64, 2));
        assert_eq!(
            p.feed(b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n", &mut out),
            Err(H1Error::TooManyHeaders { limit: 2 })
        );
        let mut p = ResponseParser::new(false);
        assert_eq!(
            p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", &mut out),
            Err(H1Error::BufferTooSmall { capacity: 64 })
        );
        let mut p = ResponseParser::new(false);
        assert_eq!(
            p.feed(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n",
                &mut out
            ),
            Err(H1Error::BufferTooSmall { capacity: 64 })
        );
        let mut p = ResponseParser::new(false);
        assert_eq!(
            p.feed(&[b'x'; 65], &mut out),
            Err(H1Error::BufferTooSmall { capacity: 64 })
        );
        let mut p = ResponseParser::new(false);
        p.feed(b"HTTP/1.1 200 OK\r\n\r\n", &mut out).unwrap();
        assert_eq!(
            p.feed(&[b'x'; 65], &mut out),
            Err(H1Error::BufferTooSmall { capacity: 64 })
        );
        // A header line that grows by normalisation ("A:b" to "A: b\r\n") still checks room.
        let mut tiny = [0u8; 20];
        let mut p = ResponseParser::new(false);
        assert_eq!(
            p.feed(b"HTTP/1.1 200 OK\r\nAbcdefghijklmnop:q\r\n", &mut tiny),
            Err(H1Error::BufferTooSmall { capacity: 20 })
        );
        // Extension and trailer lines count against the line limit too.
        let mut p = ResponseParser::with_limits(false, Limits::new(32, 10));
        let mut big = [0u8; 256];
        p.feed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            &mut big,
        )
        .unwrap();
        assert_eq!(
            p.feed(&[b"1;"[..].as_ref(), &[b'x'; 40]].concat(), &mut big),
            Err(H1Error::LineTooLong { limit: 32 })
        );
    }

    #[test]
    fn request_heads() {
        let mut buf = [0u8; 256];
        let accept = [("Accept", "application/json")];
        let head = RequestHead::new(
            "GET",
            "localhost:8443",
            "/.well-known/jwks.json",
            Some("x=1"),
            &accept,
            0,
        )
        .unwrap()
        .user_agent("auth0-edge/0")
        .unwrap();
        let n = head.write_into(&mut buf).unwrap();
        assert_eq!(n, head.len());
        assert_eq!(
            core::str::from_utf8(&buf[..n]).unwrap(),
            "GET /.well-known/jwks.json?x=1 HTTP/1.1\r\nHost: localhost:8443\r\nUser-Agent: auth0-edge/0\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        let head = RequestHead::new("POST", "h", "", None, &[], 0)
            .unwrap()
            .keep_alive();
        let n = head.write_into(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
        );
        let n = RequestHead::new("GET", "h", "", Some(""), &[], 0)
            .unwrap()
            .write_into(&mut buf)
            .unwrap();
        assert!(buf[..n].starts_with(b"GET /? HTTP/1.1\r\n"));
        assert_eq!(
            head.write_into(&mut buf[..10]),
            Err(H1Error::BufferTooSmall { capacity: 10 })
        );
        let bad =
            |r: Result<RequestHead<'_>, H1Error>| matches!(r, Err(H1Error::InvalidRequest { .. }));
        let get =
            |host, path, query, headers| RequestHead::new("GET", host, path, query, headers, 0);
        assert!(bad(RequestHead::new("G T", "h", "/", None, &[], 0)));
        assert!(bad(get("h\r\nX: y", "/", None, &[])));
        assert!(bad(get("", "/", None, &[])));
        assert!(bad(get("h", "/a b", None, &[])));
        assert!(bad(get("h", "relative", None, &[])));
        assert!(bad(get("h", "/a?b", None, &[])));
        assert!(bad(get("h", "/", Some("a#b"), &[])));
        assert!(bad(get("h", "/", Some("a\r\n"), &[])));
        assert!(bad(get("h", "/", None, &[("X", "a\r\nInjected: 1")])));
        assert!(bad(get("h", "/", None, &[("Bad Name", "v")])));
        assert!(bad(get("h", "/", None, &[("", "v")])));
        assert!(bad(get("h", "/", None, &[("content-length", "5")])));
        assert!(bad(get("h", "/", None, &[("Host", "evil")])));
        assert!(
            get("h", "/", None, &[("User-Agent", "x")])
                .unwrap()
                .user_agent("y")
                .is_err()
        );
        assert!(
            get("h", "/", None, &[])
                .unwrap()
                .user_agent("a\nb")
                .is_err()
        );
        assert_eq!(decimal(0).1, 1);
        assert_eq!(&decimal(u64::MAX).0[..], b"18446744073709551615");
    }
}
