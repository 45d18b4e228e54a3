//! Chunking of values too large for one cookie, exactly as `@auth0/nextjs-auth0` v4.29+ does
//! it (`src/server/cookies.ts`).
//!
//! - A value of at most [`MAX_CHUNK_SIZE`] bytes is one cookie `<name>`; a larger one is cut
//!   into `<name>__0`, `<name>__1`, … of [`MAX_CHUNK_SIZE`] bytes each.
//! - Reading ([`join`]): a non-empty base cookie wins over chunks; otherwise the chunks must be
//!   numbered contiguously from 0 and are concatenated in index order. A gap is
//!   [`CookieError::MissingChunk`], never a partial value.
//! - Writing ([`write()`]): a write also deletes the cookies of the request it makes stale:
//!   its chunks beyond the new ones, and the base cookie when the new value is chunked.
//!   Unlike the SDK, which deletes `__0` to `__4` (and up to the highest index present) on
//!   every write whether the request had them or not, only cookies the request carried are
//!   deleted: the browser holds no others, so the result is the same with fewer headers.

use super::{CookieName, CookieOptions, Lifetime, SetCookie, parse, percent_decode};
use crate::codec::buf::Writer;
use crate::codec::time::UnixTime;
use crate::{CookieError, Error};
use core::ops::Range;

/// The largest value written as a single cookie, and the size of each chunk.
pub const MAX_CHUNK_SIZE: usize = 3500;
/// The most chunks read or written; more would exceed what browsers keep for one site.
pub const MAX_CHUNKS: usize = 64;
/// The separator between a cookie name and a chunk index.
pub const SEPARATOR: &str = "__";

/// The chunk index of `cookie_name` if it is `<name>__<digits>`.
fn chunk_index(cookie_name: &str, name: &str) -> Option<Result<usize, CookieError>> {
    let digits = cookie_name.strip_prefix(name)?.strip_prefix(SEPARATOR)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.parse::<usize>() {
        Ok(i) if i < MAX_CHUNKS => Some(Ok(i)),
        _ => Some(Err(CookieError::TooManyChunks)),
    }
}

/// The highest chunk index of `name` present in a `Cookie` header.
pub fn highest_index(header: &str, name: &str) -> Option<usize> {
    parse(header)
        .filter_map(|c| chunk_index(c.name, name)?.ok())
        .max()
}

/// The chunk indices of `name` present in a `Cookie` header (bit `i`: `<name>__i`), and
/// whether the base cookie `<name>` is present.
fn present(header: &str, name: &str) -> (u64, bool) {
    parse(header).fold((0u64, false), |(mask, base), c| {
        if c.name == name {
            (mask, true)
        } else {
            match chunk_index(c.name, name) {
                Some(Ok(i)) => (mask | 1u64.checked_shl(i as u32).unwrap_or(0), base),
                _ => (mask, base),
            }
        }
    })
}

/// The cookies that hold one (possibly chunked) value in a request, found in one pass.
#[derive(Clone, Copy, Debug)]
pub struct Found<'h> {
    /// The last non-empty base cookie `<name>`, which wins over chunks.
    base: Option<super::Cookie<'h>>,
    /// The last value seen for each chunk index below `count`.
    chunks: [&'h str; MAX_CHUNKS],
    count: usize,
}

/// Finds the cookies of `name` in a `Cookie` header: the base cookie, or chunks numbered
/// contiguously from 0 (a gap is [`CookieError::MissingChunk`], none at all
/// [`CookieError::NotFound`]).
pub fn find<'h>(header: &'h str, name: &str) -> Result<Found<'h>, Error> {
    find_with(header, name, |_| ())
}

/// [`find`], handing every other cookie of the header to `other` on the way (one pass over
/// the header for a caller that also looks for other names).
pub fn find_with<'h>(
    header: &'h str,
    name: &str,
    mut other: impl FnMut(&super::Cookie<'h>),
) -> Result<Found<'h>, Error> {
    let mut found = Found {
        base: None,
        chunks: [""; MAX_CHUNKS],
        count: 0,
    };
    let mut present = 0u64;
    for c in parse(header) {
        if c.name == name {
            found.base = Some(c);
        } else if let Some(i) = chunk_index(c.name, name) {
            let i = i?;
            found.chunks[i] = c.value;
            present |= 1 << i;
            found.count = found.count.max(i + 1);
        } else {
            other(&c);
        }
    }
    // A later empty base cookie hides an earlier one, as in the SDK's cookie map.
    if found.base.is_some_and(|b| !b.value.is_empty()) {
        return Ok(found);
    }
    found.base = None;
    if found.count == 0 {
        return Err(CookieError::NotFound.into());
    }
    let missing = (!present).trailing_zeros() as usize;
    if missing < found.count {
        return Err(CookieError::MissingChunk { index: missing }.into());
    }
    Ok(found)
}

fn decoded_len(v: &str) -> usize {
    match memchr::memchr(b'%', v.as_bytes()) {
        None => v.len(),
        Some(_) => v
            .len()
            .saturating_sub(2 * memchr::memchr_iter(b'%', v.as_bytes()).count()),
    }
}

impl<'h> Found<'h> {
    /// Whether the value is split over chunks.
    pub fn is_chunked(&self) -> bool {
        self.base.is_none()
    }

    /// `None` when the value can be borrowed from the header (a base cookie without
    /// percent-escapes), else the exact length [`Found::join`] writes.
    pub fn joined_len(&self) -> Option<usize> {
        match self.base {
            Some(b) => b.is_encoded().then(|| decoded_len(b.value)),
            None => Some(
                self.chunks[..self.count]
                    .iter()
                    .map(|c| decoded_len(c))
                    .sum(),
            ),
        }
    }

    /// The value's pieces as the header has them (the base cookie's value, or the chunks' in
    /// order) when none is percent-encoded: the value is then their concatenation, read
    /// without joining it. `None` when one is encoded.
    pub fn pieces(&self) -> Option<&[&'h str]> {
        let pieces = self.raw_pieces();
        let encoded = |p: &&str| memchr::memchr(b'%', p.as_bytes()).is_some();
        (!pieces.iter().any(encoded)).then_some(pieces)
    }

    /// The value's pieces as the header has them, percent-encoded or not (the base cookie's
    /// value, or the chunks' in order).
    pub fn raw_pieces(&self) -> &[&'h str] {
        match &self.base {
            Some(b) => core::slice::from_ref(&b.value),
            None => &self.chunks[..self.count],
        }
    }

    /// The value, percent-decoded: borrowed from the header when possible, else joined into
    /// `buf`.
    pub fn join<'r>(&self, buf: &'r mut [u8]) -> Result<&'r str, Error>
    where
        'h: 'r,
    {
        if let Some(base) = self.base {
            if !base.is_encoded() {
                return Ok(base.value);
            }
            return base.decode_into(buf);
        }
        let mut w = Writer::new(buf, "joined cookie");
        for chunk in &self.chunks[..self.count] {
            percent_decode(chunk, &mut w)?;
        }
        Ok(w.into_str())
    }
}

/// Reads the value of `name` from a `Cookie` header, joining chunks if there is no base
/// cookie; see [`find`] and [`Found::join`].
///
/// ```
/// use auth0_edge::cookie::chunk;
/// let mut buf = [0u8; 16];
/// assert_eq!(chunk::join("s__1=world; s__0=hello", "s", &mut buf)?, "helloworld");
/// assert!(chunk::join("s__0=a; s__2=c", "s", &mut buf).is_err());
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn join<'r>(header: &'r str, name: &str, buf: &'r mut [u8]) -> Result<&'r str, Error> {
    find(header, name)?.join(buf)
}

/// How many bytes of buffer [`join`] needs for `name`; see [`Found::joined_len`].
pub fn joined_len(header: &str, name: &str) -> Result<Option<usize>, Error> {
    Ok(find(header, name)?.joined_len())
}

/// How many chunks of at most [`MAX_CHUNK_SIZE`] bytes, cut on character boundaries,
/// `value` takes.
fn count_chunks(value: &str) -> usize {
    let (mut start, mut n) = (0, 0);
    while start < value.len() {
        let mut end = (start + MAX_CHUNK_SIZE).min(value.len());
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        start = end;
        n += 1;
    }
    n
}

/// The `Set-Cookie` values that store `value` under `name`, with the stale-chunk deletions.
///
/// `request` is the request's `Cookie` header (or `""`), used to find chunks to delete.
pub fn write<'a>(
    name: &'a str,
    value: &'a str,
    options: &'a CookieOptions<'a>,
    max_age: u64,
    now: UnixTime,
    request: &str,
) -> Result<ChunkedWrite<'a>, Error> {
    let chunks = if value.len() <= MAX_CHUNK_SIZE {
        0
    } else {
        count_chunks(value)
    };
    planned(name, value, chunks, options, max_age, now, request)
}

/// [`write()`] for an ASCII value of `len` bytes that the caller places itself: read it with
/// [`ChunkedWrite::next_piece`], which gives each cookie's part of the value as a range.
pub(crate) fn write_ascii_len<'a>(
    name: &'a str,
    len: usize,
    options: &'a CookieOptions<'a>,
    max_age: u64,
    now: UnixTime,
    request: &str,
) -> Result<ChunkedWrite<'a>, Error> {
    let chunks = if len <= MAX_CHUNK_SIZE {
        0
    } else {
        len.div_ceil(MAX_CHUNK_SIZE)
    };
    let mut w = planned(name, "", chunks, options, max_age, now, request)?;
    w.len = len;
    Ok(w)
}

fn planned<'a>(
    name: &'a str,
    value: &'a str,
    chunks: usize,
    options: &'a CookieOptions<'a>,
    max_age: u64,
    now: UnixTime,
    request: &str,
) -> Result<ChunkedWrite<'a>, Error> {
    if chunks > MAX_CHUNKS {
        return Err(CookieError::TooManyChunks.into());
    }
    let (mask, base) = present(request, name);
    // The chunks rewritten are not stale (`chunks` ≤ 64).
    let rewritten = 1u64.checked_shl(chunks as u32).map_or(u64::MAX, |b| b - 1);
    Ok(ChunkedWrite {
        name,
        value,
        len: value.len(),
        options,
        lifetime: Lifetime::MaxAge { max_age, now },
        chunks,
        stale: mask & !rewritten,
        stale_base: chunks > 0 && base,
        step: 0,
        offset: 0,
    })
}

/// The deletions that remove `name` and its chunks (used by logout): the base cookie, always,
/// and each chunk the request carries.
pub fn delete_all<'a>(
    name: &'a str,
    options: &'a CookieOptions<'a>,
    request: &str,
) -> ChunkedWrite<'a> {
    ChunkedWrite {
        name,
        value: "",
        len: 0,
        options,
        lifetime: Lifetime::Delete,
        chunks: 0,
        stale: present(request, name).0,
        stale_base: false,
        step: 0,
        offset: 0,
    }
}

/// The `Set-Cookie` values of one chunked write, in the SDK's order; see [`write()`].
#[derive(Clone, Debug)]
pub struct ChunkedWrite<'a> {
    name: &'a str,
    /// The value; empty when the caller places it ([`write_ascii_len`]).
    value: &'a str,
    /// The value's length.
    len: usize,
    options: &'a CookieOptions<'a>,
    lifetime: Lifetime,
    /// 0 for a single cookie, else the number of chunks.
    chunks: usize,
    /// The request's chunks still to delete (bit `i`: `<name>__i`), lowest first.
    stale: u64,
    /// Whether the request's base cookie is still to delete (a chunked write).
    stale_base: bool,
    step: usize,
    offset: usize,
}

impl<'a> ChunkedWrite<'a> {
    /// Whether the value is split over chunks.
    pub fn is_chunked(&self) -> bool {
        self.chunks > 0
    }

    /// The next `Set-Cookie` with the part of the value it carries as a range of the value
    /// (its `value` then left empty), or `None` for a deletion.
    pub(crate) fn next_piece(&mut self) -> Option<(SetCookie<'a>, Option<Range<usize>>)> {
        let step = self.step;
        self.step += 1;
        let base = SetCookie {
            name: CookieName::plain(self.name),
            value: "",
            options: self.options,
            lifetime: self.lifetime,
        };
        let delete = |chunk| SetCookie {
            name: CookieName {
                base: self.name,
                chunk,
            },
            lifetime: Lifetime::Delete,
            ..base
        };
        let mut next_stale = || {
            if self.stale == 0 {
                return None;
            }
            let i = self.stale.trailing_zeros() as usize;
            self.stale &= self.stale - 1;
            Some(i)
        };
        if self.chunks == 0 {
            // The base cookie (or its deletion), then the request's chunks deleted.
            return match step {
                0 => {
                    let piece = matches!(self.lifetime, Lifetime::MaxAge { .. });
                    Some((base, piece.then_some(0..self.len)))
                }
                _ => next_stale().map(|i| (delete(Some(i)), None)),
            };
        }
        if step < self.chunks {
            // Chunks end on character boundaries (JWEs are ASCII, so every chunk but the last
            // is exactly MAX_CHUNK_SIZE bytes, as in the SDK).
            let start = self.offset;
            let mut end = (start + MAX_CHUNK_SIZE).min(self.len);
            if !self.value.is_empty() {
                while !self.value.is_char_boundary(end) {
                    end -= 1;
                }
            }
            self.offset = end;
            let chunk = SetCookie {
                name: CookieName {
                    base: self.name,
                    chunk: Some(step),
                },
                ..base
            };
            return Some((chunk, Some(start..end)));
        }
        // The request's chunks beyond the new ones, then its base cookie.
        if let Some(i) = next_stale() {
            return Some((delete(Some(i)), None));
        }
        if core::mem::take(&mut self.stale_base) {
            return Some((delete(None), None));
        }
        None
    }
}

impl<'a> Iterator for ChunkedWrite<'a> {
    type Item = SetCookie<'a>;

    fn next(&mut self) -> Option<SetCookie<'a>> {
        let (mut c, piece) = self.next_piece()?;
        if let Some(r) = piece {
            c.value = self.value.get(r).unwrap_or("");
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn lines(w: ChunkedWrite<'_>) -> Vec<String> {
        w.map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_write_deletes_only_the_cookies_the_request_carried() {
        let o = CookieOptions::default();
        // Nothing in the request: the cookie alone (the SDK would add five deletions).
        let out = lines(write("__session", "v", &o, 10, 0, "").unwrap());
        assert_eq!(out.len(), 1);
        assert!(out[0].starts_with("__session=v; Path=/; Expires="));
        // A request with chunks __0, __1 and __3: each is deleted, in index order.
        let out = lines(
            write(
                "__session",
                "v",
                &o,
                10,
                0,
                "__session__3=c; a=1; __session__0=a; __session__1=b",
            )
            .unwrap(),
        );
        assert_eq!(out.len(), 4);
        for (l, i) in out[1..].iter().zip([0, 1, 3]) {
            assert_eq!(
                *l,
                std::format!("__session__{i}=; Path=/; Max-Age=0; HttpOnly; SameSite=lax")
            );
        }
        // Rewriting the same single cookie deletes nothing.
        assert_eq!(
            lines(write("__session", "v", &o, 10, 0, "__session=old").unwrap()).len(),
            1
        );
    }

    #[test]
    fn chunked_write_and_cleanup_of_more_chunks() {
        let o = CookieOptions::default();
        let value = "x".repeat(MAX_CHUNK_SIZE * 2 + 1);
        let out = lines(write("s", &value, &o, 10, 0, "s=old; s__1=old; s__7=old").unwrap());
        // 3 chunks (__1 is rewritten), delete __7, delete the base.
        assert_eq!(out.len(), 3 + 1 + 1);
        assert!(out[0].starts_with(&std::format!("s__0={}; ", "x".repeat(MAX_CHUNK_SIZE))));
        assert!(out[2].starts_with("s__2=x; "));
        assert!(out[3].starts_with("s__7=; "));
        assert!(out[4].starts_with("s=; Path=/; Max-Age=0"));
        // Without a base cookie in the request, none is deleted.
        let out = lines(write("s", &value, &o, 10, 0, "s__0=old").unwrap());
        assert_eq!(out.len(), 3);
        // Index 63, the highest chunk read, is deleted too.
        let out = lines(write("s", "v", &o, 10, 0, "s__63=old").unwrap());
        assert_eq!(out.len(), 2);
        assert!(out[1].starts_with("s__63=; "));
    }

    #[test]
    fn join_rules() {
        let mut buf = [0u8; 64];
        // The base cookie wins over chunks.
        assert_eq!(join("s=base; s__0=a", "s", &mut buf).unwrap(), "base");
        // An empty base cookie does not.
        assert_eq!(join("s=; s__1=b; s__0=a", "s", &mut buf).unwrap(), "ab");
        assert_eq!(
            join("x=1", "s", &mut buf),
            Err(CookieError::NotFound.into())
        );
        assert_eq!(
            join("s__1=b", "s", &mut buf),
            Err(CookieError::MissingChunk { index: 0 }.into())
        );
        assert_eq!(
            join("s__99999999999999999999=b", "s", &mut buf),
            Err(CookieError::TooManyChunks.into())
        );
        // Names that merely start with the base are not chunks.
        assert_eq!(
            join("s__x=1; s_0=2; ss__0=3", "s", &mut buf),
            Err(CookieError::NotFound.into())
        );
        let mut tiny = [0u8; 1];
        assert!(matches!(
            join("s__0=ab", "s", &mut tiny),
            Err(Error::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn duplicate_chunks_last_wins_and_length_agrees() {
        // Found by the chunk_join fuzz target: the announced length must count each index once.
        let header = "s__0=aaaa; s__1=b; s__0=cc";
        let mut buf = [0u8; 16];
        assert_eq!(joined_len(header, "s").unwrap(), Some(3));
        assert_eq!(join(header, "s", &mut buf).unwrap(), "ccb");
    }

    #[test]
    fn delete_all_covers_base_and_chunks() {
        let o = CookieOptions::default();
        let out = lines(delete_all("s", &o, "s__6=x; s__0=y"));
        assert_eq!(out.len(), 3);
        assert!(out[0].starts_with("s=; "));
        assert!(out[1].starts_with("s__0=; "));
        assert!(out[2].starts_with("s__6=; "));
        // The base cookie is deleted even when the request does not show it.
        assert_eq!(lines(delete_all("s", &o, "")).len(), 1);
    }
}
