//! The flow's work buffer: an arena that hands out disjoint parts of it, so every value a flow
//! returns borrows one caller buffer.

use super::*;
use crate::http::ResponseHead;

/// The decoded value of query parameter `name`, in the arena.
pub(crate) fn query_value<'b>(
    arena: &mut Arena<'b>,
    query: &str,
    name: &str,
) -> Result<Option<&'b str>, AuthError> {
    match crate::codec::form::query_get(query, name) {
        Some(raw) => Ok(Some(crate::codec::form::decode_component(
            raw,
            arena.take(raw.len() * 3 + 4)?,
        )?)),
        None => Ok(None),
    }
}

/// The most bytes the SDK's own cookies of a request (the session cookie and its chunks, the v3
/// `appSession` cookies, transaction and connection-token cookies) may take; beyond it a
/// request is answered [`AuthError::CookiesTooLarge`] (HTTP 431). Other cookies of the request
/// are not read and do not count, whatever their size.
pub const MAX_SDK_COOKIES_LEN: usize = 64 * 1024;

/// The longest query string (or `start_interactive_login` parameters) the routes accept; a
/// longer one is [`AuthError::BadRequest`] (HTTP 400).
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// Refuses a query string longer than [`MAX_QUERY_LEN`].
pub(crate) fn check_query(query: &str) -> Result<(), AuthError> {
    if query.len() > MAX_QUERY_LEN {
        return Err(AuthError::BadRequest(
            "The request's query string is longer than 8 KiB; shorten its parameters.",
        ));
    }
    Ok(())
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// Whether a request cookie named `name` is one the flows read.
    pub(crate) fn is_sdk_cookie(&self, name: &str) -> bool {
        let numbered = |rest: Option<&str>| {
            rest.is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        };
        let session = self.config.session.cookie_name;
        let legacy = session::LEGACY_COOKIE_NAME;
        name == session
            || numbered(
                name.strip_prefix(session)
                    .and_then(|r| r.strip_prefix("__")),
            )
            || name == legacy
            || numbered(name.strip_prefix(legacy).and_then(|r| r.strip_prefix('.')))
            || name.starts_with(self.config.transaction.prefix)
            || session_io::is_connection_cookie(name)
    }

    /// The `Cookie` header a flow reads, once the size of the SDK's cookies in it is checked
    /// (more than [`MAX_SDK_COOKIES_LEN`], or than half the arena's rest, is
    /// [`AuthError::CookiesTooLarge`]). The header is read where it is, not copied: every reader
    /// picks its cookies by name (the session cookie and its chunks, `appSession`, transaction
    /// and `__FC_<i>` cookies), so the others are never read.
    pub(crate) fn sdk_cookies<'h>(
        &self,
        arena: &Arena<'_>,
        header: &'h str,
    ) -> Result<&'h str, AuthError> {
        let len = cookie::matching_len(header, |n: &str| self.is_sdk_cookie(n));
        let max = MAX_SDK_COOKIES_LEN.min(arena.remaining() / 2);
        if len > max {
            return Err(AuthError::CookiesTooLarge { len, max });
        }
        Ok(header)
    }
}

/// Copies a request string into the arena, so values borrowed from it live as long as the
/// work buffer.
pub(crate) fn copy_str<'b>(arena: &mut Arena<'b>, s: &str) -> Result<&'b str, Error> {
    arena.write(|w| w.push_str(s))
}

/// Hands out disjoint parts of the flow's work buffer.
pub(crate) struct Arena<'b> {
    rest: &'b mut [u8],
    capacity: usize,
}

impl<'b> Arena<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        let capacity = buf.len();
        Arena {
            rest: buf,
            capacity,
        }
    }

    /// An arena over the first part of `buf` and the rest kept for the response (a third: on a
    /// server's [`FLOW_BUFFER_LEN`](super::FLOW_BUFFER_LEN) 64 KiB, room for the `Set-Cookie`
    /// lines of the largest session; on a device's smaller buffer, a third of it).
    pub(crate) fn split_for_response(buf: &'b mut [u8]) -> (Arena<'b>, &'b mut [u8]) {
        let res_len = buf.len() / 3;
        let at = buf.len() - res_len;
        let (a, r) = buf.split_at_mut(at);
        (Arena::new(a), r)
    }

    /// The response, over all the room the arena has left: for a flow that writes its
    /// response only once its requests are done, so that their responses (and a TLS server's
    /// certificates) could use that room before. Nothing more can be taken afterwards; what
    /// the response's writer still needs for a while (a store's record) it takes from its own
    /// spare room.
    pub(crate) fn respond(&mut self, status: u16) -> ResponseBuilder<'b> {
        self.respond_keeping(0, status)
    }

    /// [`Arena::respond`], keeping the first `keep` bytes of the room for the arena (for what
    /// a flow still writes beside its response: a hook's output).
    pub(crate) fn respond_keeping(&mut self, keep: usize, status: u16) -> ResponseBuilder<'b> {
        let keep = keep.min(self.rest.len());
        let (kept, room) = core::mem::take(&mut self.rest).split_at_mut(keep);
        self.rest = kept;
        ResponseBuilder::new(room, status)
    }

    fn overflow(&self) -> Error {
        Error::BufferTooSmall {
            what: "flow work",
            capacity: self.capacity,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'b mut [u8], Error> {
        if n > self.rest.len() {
            return Err(self.overflow());
        }
        let (a, b) = core::mem::take(&mut self.rest).split_at_mut(n);
        self.rest = b;
        Ok(a)
    }

    /// A sub-arena over the rest, for temporary use; its space comes back when it is dropped
    /// (nothing it handed out may outlive it).
    pub(crate) fn checkpoint(&mut self) -> Arena<'_> {
        Arena {
            capacity: self.capacity,
            rest: &mut *self.rest,
        }
    }

    /// Writes with `f` into the rest and keeps what was written.
    pub(crate) fn write(
        &mut self,
        f: impl FnOnce(&mut Writer<'b>) -> Result<(), Error>,
    ) -> Result<&'b str, Error> {
        let s = self.write_mut(f)?;
        let s: &'b [u8] = s;
        core::str::from_utf8(s).map_err(|_| crate::JsonError::Utf8.into())
    }

    /// Like [`Arena::write`], handing the bytes out mutably (to encrypt in place). The writer
    /// has the work buffer's lifetime, so `f` can hand it on beside other writers of the arena
    /// (a hook's `user` and `extra`).
    pub(crate) fn write_mut(
        &mut self,
        f: impl FnOnce(&mut Writer<'b>) -> Result<(), Error>,
    ) -> Result<&'b mut [u8], Error> {
        let mut w = Writer::new(core::mem::take(&mut self.rest), "flow work");
        if let Err(e) = f(&mut w) {
            return Err(self.give_back(w.into_inner(), e));
        }
        let (a, b) = w.into_parts();
        self.rest = b;
        Ok(a)
    }

    /// Makes `buf` the rest again after a job in it failed with `e`; a buffer too small is the
    /// arena's overflow.
    fn give_back(&mut self, buf: &'b mut [u8], e: Error) -> Error {
        self.rest = buf;
        match e {
            Error::BufferTooSmall { .. } => self.overflow(),
            e => e,
        }
    }

    /// Lets `f` work in the rest and keeps the first `n` bytes it reports; when it fails, the
    /// rest is the arena's again.
    pub(crate) fn keep(
        &mut self,
        f: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
    ) -> Result<&'b mut [u8], Error> {
        let buf = core::mem::take(&mut self.rest);
        match f(&mut *buf) {
            Ok(n) if n <= buf.len() => {
                let (a, b) = buf.split_at_mut(n);
                self.rest = b;
                Ok(a)
            }
            Ok(_) => {
                let e = self.overflow();
                Err(self.give_back(buf, e))
            }
            Err(e) => Err(self.give_back(buf, e)),
        }
    }

    /// Lets `f` fill the rest and keeps the `n` bytes it reports (nothing when it reports
    /// `None`).
    pub(crate) fn fill(&mut self, f: impl FnOnce(&mut [u8]) -> Option<usize>) -> Option<&'b [u8]> {
        let buf = core::mem::take(&mut self.rest);
        match f(&mut *buf) {
            Some(n) if n <= buf.len() => {
                let (a, b) = buf.split_at_mut(n);
                self.rest = b;
                Some(a)
            }
            _ => {
                self.rest = buf;
                None
            }
        }
    }

    /// Sends `req` with the rest of the arena as the response buffer, lets `read` look at the
    /// response and write what to keep of it into the space after it (returning how many
    /// bytes it wrote), and keeps only that, moved to the front: the response itself takes no
    /// room once `read` returns. A transport failure is `transport(e)`.
    pub(crate) async fn fetch_then<T: Transport, E>(
        &mut self,
        t: &T,
        req: &OutgoingRequest<'_>,
        transport: impl Fn(TransportError) -> E,
        read: impl FnOnce(IncomingResponse<'_>, &mut [u8]) -> Result<usize, E>,
    ) -> Result<&'b [u8], E> {
        let head = self.send(t, req).await.map_err(&transport)?;
        let used = head.headers_len.saturating_add(head.body_len);
        let buf = core::mem::take(&mut self.rest);
        let kept = {
            let (raw, spare) = buf.split_at_mut(used);
            let spare_len = spare.len();
            match head.view(raw) {
                None => Err(transport(TransportError::Io)),
                Some(res) => read(res, spare).map(|n| n.min(spare_len)),
            }
        };
        let n = match kept {
            Ok(n) => n,
            Err(e) => {
                self.rest = buf;
                return Err(e);
            }
        };
        buf.copy_within(used..used + n, 0);
        let (a, b) = buf.split_at_mut(n);
        self.rest = b;
        Ok(a)
    }

    /// Sends `req` and keeps the response in the arena.
    pub(crate) async fn fetch<T: Transport>(
        &mut self,
        t: &T,
        req: &OutgoingRequest<'_>,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        let head = self.send(t, req).await?;
        self.keep_response(&head)
    }

    /// Sends `req` with the rest as the response buffer and leaves the response at the front
    /// of the rest, not kept: [`Arena::peek`] looks at it, [`Arena::keep_response`] keeps it,
    /// and anything taken next writes over it.
    pub(crate) async fn send<T: Transport>(
        &mut self,
        t: &T,
        req: &OutgoingRequest<'_>,
    ) -> Result<ResponseHead, TransportError> {
        let head = t.send(req, &mut *self.rest).await?;
        match head.view(self.rest) {
            Some(_) => Ok(head),
            None if head.headers_len.saturating_add(head.body_len) > self.rest.len() => {
                Err(TransportError::ResponseTooLarge)
            }
            None => Err(TransportError::Io),
        }
    }

    /// The response [`Arena::send`] left at the front of the rest.
    pub(crate) fn peek(&self, head: &ResponseHead) -> Option<IncomingResponse<'_>> {
        head.view(self.rest)
    }

    /// Keeps the response [`Arena::send`] left at the front of the rest.
    pub(crate) fn keep_response(
        &mut self,
        head: &ResponseHead,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        let used = head.headers_len.saturating_add(head.body_len);
        let raw = self
            .take(used)
            .map_err(|_| TransportError::ResponseTooLarge)?;
        let raw: &'b [u8] = raw;
        head.view(raw).ok_or(TransportError::Io)
    }

    /// The rest parted in two: an arena over all but its last `n` bytes, and those bytes (for a
    /// request that is needed only until it is sent). Both are the rest again once they are
    /// dropped; what [`Arena::send`] leaves at the front of the first (when nothing was taken
    /// from it before) is at the front of the rest.
    pub(crate) fn split_back(&mut self, n: usize) -> Result<(Arena<'_>, &mut [u8]), Error> {
        let Some(at) = self.rest.len().checked_sub(n) else {
            return Err(self.overflow());
        };
        let (front, back) = self.rest.split_at_mut(at);
        Ok((
            Arena {
                rest: front,
                capacity: self.capacity,
            },
            back,
        ))
    }
}

/// A JSON string as text (escapes decoded into the arena).
pub(crate) fn json_text<'b>(arena: &mut Arena<'b>, s: JsonStr<'_>) -> Result<&'b str, Error> {
    decoded(arena, s, |c| c)
}

/// A token response's `token_type` as the session stores it: decoded, ASCII lower case
/// (`Bearer` → `bearer`, `DPoP` → `dpop`), as oauth4webapi normalises it.
pub(crate) fn token_type_text<'b>(
    arena: &mut Arena<'b>,
    t: Option<JsonStr<'_>>,
) -> Result<Option<&'b str>, Error> {
    t.map(|t| decoded(arena, t, |c| c.to_ascii_lowercase()))
        .transpose()
}

fn decoded<'b>(
    arena: &mut Arena<'b>,
    s: JsonStr<'_>,
    map: impl Fn(char) -> char,
) -> Result<&'b str, Error> {
    arena.write(|w| {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            w.push_str(map(c).encode_utf8(&mut tmp))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers every request with its own body, after one header line.
    struct Echo {
        /// The head it reports, when it lies about the lengths.
        lie: Option<ResponseHead>,
    }

    impl Transport for Echo {
        async fn send(
            &self,
            req: &OutgoingRequest<'_>,
            buf: &mut [u8],
        ) -> Result<ResponseHead, TransportError> {
            const LINE: &[u8] = b"X-Echo: 1";
            let n = LINE.len() + req.body.len();
            let out = buf.get_mut(..n).ok_or(TransportError::ResponseTooLarge)?;
            out[..LINE.len()].copy_from_slice(LINE);
            out[LINE.len()..].copy_from_slice(req.body);
            Ok(self.lie.unwrap_or(ResponseHead {
                status: 200,
                headers_len: LINE.len(),
                body_len: req.body.len(),
            }))
        }
    }

    fn block_on<F: core::future::Future>(f: F) -> F::Output {
        let mut f = core::pin::pin!(f);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            core::task::Poll::Ready(v) => v,
            core::task::Poll::Pending => panic!("no future of these tests waits"),
        }
    }

    fn post(body: &[u8]) -> OutgoingRequest<'_> {
        OutgoingRequest {
            method: "POST",
            url: "https://tenant.example.com/oauth/token",
            headers: &[],
            body,
        }
    }

    #[test]
    fn a_request_at_the_back_takes_no_room_once_its_response_is_kept() {
        let mut buf = [0u8; 256];
        let mut arena = Arena::new(&mut buf);
        let _kept = arena.take(16).unwrap();
        let head = {
            let (mut front, back) = arena.split_back(64).unwrap();
            assert_eq!((front.remaining(), back.len()), (240 - 64, 64));
            back[..5].copy_from_slice(b"hello");
            block_on(front.send(&Echo { lie: None }, &post(&back[..5]))).unwrap()
        };
        // The request's room is the arena's again, and the response is at its front.
        assert_eq!(arena.remaining(), 240);
        let seen = arena.peek(&head).unwrap();
        assert_eq!((seen.headers, seen.body), ("X-Echo: 1", &b"hello"[..]));
        let res = arena.keep_response(&head).unwrap();
        assert_eq!((res.status, res.body), (200, &b"hello"[..]));
        assert_eq!(arena.remaining(), 240 - 14);
    }

    #[test]
    fn a_response_that_does_not_fit_or_lies_is_a_transport_error() {
        let mut buf = [0u8; 64];
        let mut arena = Arena::new(&mut buf);
        let big = [b'x'; 60];
        let echo = Echo { lie: None };
        assert_eq!(
            block_on(arena.send(&echo, &post(&big))),
            Err(TransportError::ResponseTooLarge)
        );
        let too_long = Echo {
            lie: Some(ResponseHead {
                status: 200,
                headers_len: 9,
                body_len: 1000,
            }),
        };
        assert_eq!(
            block_on(arena.send(&too_long, &post(b"x"))),
            Err(TransportError::ResponseTooLarge)
        );
        let mid_character = Echo {
            lie: Some(ResponseHead {
                status: 200,
                headers_len: 10,
                body_len: 0,
            }),
        };
        assert_eq!(
            block_on(arena.send(&mid_character, &post("é".as_bytes()))),
            Err(TransportError::Io)
        );
        // Nothing was kept.
        assert_eq!(arena.remaining(), 64);
        assert!(matches!(
            arena.split_back(65),
            Err(Error::BufferTooSmall {
                what: "flow work",
                capacity: 64
            })
        ));
    }

    #[test]
    fn keep_keeps_what_it_is_told_and_gives_the_rest_back_on_failure() {
        let mut buf = [0u8; 64];
        let mut arena = Arena::new(&mut buf);
        let too_small = arena.keep(|_| {
            Err(Error::BufferTooSmall {
                what: "session",
                capacity: 64,
            })
        });
        // A buffer too small inside is the arena's own overflow.
        assert!(matches!(
            too_small,
            Err(Error::BufferTooSmall {
                what: "flow work",
                capacity: 64
            })
        ));
        assert!(matches!(
            arena.keep(|_| Ok(65)),
            Err(Error::BufferTooSmall { .. })
        ));
        assert_eq!(arena.remaining(), 64);
        let kept = arena
            .keep(|rest| {
                rest[..3].copy_from_slice(b"abc");
                Ok(3)
            })
            .unwrap();
        assert_eq!(&kept[..], b"abc");
        assert_eq!(arena.remaining(), 61);
    }
}
