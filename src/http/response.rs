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

    /// Writes header lines that carry a value made in this response's own spare room, with no
    /// room of its own for the value (a sealed session cookie, about as long as its lines).
    ///
    /// `fill` writes the value at the front of the spare room and returns its length; it must
    /// be ASCII letters, digits, `-`, `_` and `.` (a compact JWE: nothing to encode in a
    /// cookie). The value is moved to the end of the room, and `lines` writes the lines with
    /// [`TailLines::line`], which takes the value's pieces in order: each line is written
    /// in front of what is left of the value, never over it, so the lines need only as much
    /// room as they take.
    pub(crate) fn lines_with_tail_value(
        &mut self,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
        lines: impl FnOnce(&mut TailLines<'_, 'b>, usize) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let overflow = self.w.overflow();
        let spare = self.w.spare_mut();
        let n = fill(&mut *spare).map_err(|e| match e {
            Error::BufferTooSmall { .. } => overflow,
            e => e,
        })?;
        let value = spare.get(..n).ok_or(overflow)?;
        if !value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(crate::ConfigError::Invalid {
                option: "header value",
                reason: "a value placed in the response must need no encoding",
            }
            .into());
        }
        let at = spare.len() - n;
        spare.copy_within(..n, at);
        let mut t = TailLines {
            w: &mut self.w,
            unread: at,
            remaining: n,
        };
        lines(&mut t, n)?;
        if t.remaining != 0 {
            return Err(overflow);
        }
        Ok(())
    }

    /// The room not yet written, for a job whose result is gone before the next line is
    /// written (a session store's record while it is sent).
    pub(crate) fn spare_mut(&mut self) -> &mut [u8] {
        self.w.spare_mut()
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

/// Header lines over a value held at the end of a response's spare room; see
/// [`ResponseBuilder::lines_with_tail_value`].
pub(crate) struct TailLines<'w, 'b> {
    w: &'w mut Writer<'b>,
    /// Where what is left of the value starts, in the writer's spare room.
    unread: usize,
    /// How much of the value is left.
    remaining: usize,
}

impl TailLines<'_, '_> {
    /// Writes `name: <before><the next `piece` bytes of the value><after>` (no value piece
    /// for `None`).
    pub(crate) fn line(
        &mut self,
        name: &str,
        before: &dyn fmt::Display,
        piece: Option<usize>,
        after: &dyn fmt::Display,
    ) -> Result<(), Error> {
        self.text(false, |w| {
            w.push_str(name)?;
            w.push_str(": ")?;
            fmt::write(w, format_args!("{before}")).map_err(|_| w.overflow())
        })?;
        if let Some(len) = piece {
            if len > self.remaining {
                return Err(self.w.overflow());
            }
            // The piece moves to the front of the room: down, never over what is left of the
            // value after it.
            let unread = self.unread;
            self.w.spare_mut().copy_within(unread..unread + len, 0);
            self.w.advance(len);
            self.remaining -= len;
        }
        self.text(true, |w| {
            fmt::write(w, format_args!("{after}")).map_err(|_| w.overflow())?;
            w.push_str("\r\n")
        })
    }

    /// Writes text with `f` in front of what is left of the value (the whole room once it is
    /// all placed), refusing line breaks but the one that ends a line (`ends_line`).
    fn text(
        &mut self,
        ends_line: bool,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let overflow = self.w.overflow();
        let spare = self.w.spare_mut();
        let limit = if self.remaining > 0 {
            self.unread
        } else {
            spare.len()
        };
        let n = {
            let mut t = Writer::new(&mut spare[..limit], "response");
            f(&mut t).map_err(|e| match e {
                Error::BufferTooSmall { .. } => overflow,
                e => e,
            })?;
            t.len()
        };
        let text = &spare[..n.saturating_sub(if ends_line { 2 } else { 0 })];
        if memchr::memchr2(b'\r', b'\n', text).is_some() {
            return Err(crate::ConfigError::Invalid {
                option: "header value",
                reason: "contains a line break",
            }
            .into());
        }
        self.w.advance(n);
        // What is left of the value (or, once it is all placed, the room's end) stays where it
        // is: nearer by what was written.
        self.unread -= n;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cookie::CookieOptions;
    extern crate std;
    use std::string::String;
    use std::vec;

    /// The lines a value placed in the response gets are byte for byte those of the same value
    /// written from a buffer of its own, and they need no more room than they take: one byte
    /// less is an error, never a line written over the value.
    #[test]
    fn lines_over_a_tail_value_are_the_plain_lines_in_the_room_they_take() {
        let opts = CookieOptions::default();
        let request = "__session__0=a; __session__5=b; other=c";
        for len in [0, 1, 100, 3499, 3500, 3501, 7000, 7001, 12_345, 34_999] {
            let value: String = (0..len).map(|i| b"AZaz09-_."[i % 9] as char).collect();
            // The plain way: the value in a buffer of its own, the lines from `Display`.
            let mut plain_buf = vec![0u8; 64 * 1024];
            let mut plain = ResponseBuilder::new(&mut plain_buf, 200);
            plain.header("Location", "/somewhere").unwrap();
            for c in
                crate::session::set_cookies("__session", &value, &opts, 60, 0, request).unwrap()
            {
                plain.header_display("Set-Cookie", &c).unwrap();
            }
            let plain = plain.finish().unwrap();
            let need = plain.head_len();
            let placed = |room: usize| {
                let mut buf = vec![0u8; room];
                let mut res = ResponseBuilder::new(&mut buf, 200);
                res.header("Location", "/somewhere")?;
                res.lines_with_tail_value(
                    |spare| {
                        let dst = spare.get_mut(..len).ok_or(Error::BufferTooSmall {
                            what: "t",
                            capacity: 0,
                        })?;
                        dst.copy_from_slice(value.as_bytes());
                        Ok(len)
                    },
                    |lines, n| {
                        let mut cs =
                            crate::session::set_cookies_len("__session", n, &opts, 60, 0, request)?;
                        while let Some((c, piece)) = cs.next_piece() {
                            match piece {
                                Some(r) => lines.line(
                                    "Set-Cookie",
                                    &format_args!("{}=", c.name),
                                    Some(r.len()),
                                    &c.attributes(),
                                )?,
                                None => lines.line("Set-Cookie", &c, None, &"")?,
                            }
                        }
                        Ok(())
                    },
                )?;
                let r = res.finish()?;
                Ok::<String, Error>(String::from(r.head))
            };
            assert_eq!(placed(need).unwrap(), plain.head, "{len}");
            assert!(placed(need - 1).is_err(), "{len}");
            if len <= 3501 {
                // Every room too small is an error, never a panic.
                for room in 0..need {
                    assert!(placed(room).is_err(), "{len} in {room}");
                }
            }
        }
    }

    #[test]
    fn a_tail_value_that_would_need_encoding_is_refused() {
        let mut buf = [0u8; 256];
        let mut res = ResponseBuilder::new(&mut buf, 200);
        let got = res.lines_with_tail_value(
            |spare| {
                spare[..3].copy_from_slice(b"a;b");
                Ok(3)
            },
            |_, _| Ok(()),
        );
        assert!(got.is_err());
    }
}
