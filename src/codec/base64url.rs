//! base64url without padding (RFC 4648 §5), as JOSE uses it.
//!
//! Two decoders, kept apart as rustls does: [`decode`] is fast (`base64-simd`, which picks SSE
//! or AVX2 at run time in `std` builds) and is for **public** data (JWE and JWS segments, public
//! keys), while [`decode_secret`] runs in constant time (`base64ct`) and is for key material (a
//! JWK's `d`, an HMAC secret). Both reject padding, characters outside the URL-safe alphabet and
//! non-canonical trailing bits.

use base64_simd::{Out, URL_SAFE_NO_PAD};
use base64ct::Encoding as _;

/// Why base64url input could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base64Error {
    /// The input is not canonical unpadded base64url.
    Invalid,
    /// The output buffer is too small.
    BufferTooSmall,
}

/// The length of the base64url encoding of `n` bytes (no padding).
pub const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4
        + match n % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// The length of the bytes that `n` base64url characters decode to (an upper bound if the
/// input is invalid).
pub const fn decoded_len(n: usize) -> usize {
    (n / 4) * 3
        + match n % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// Encodes `input` into `out` and returns the text written.
///
/// ```
/// let mut out = [0u8; 8];
/// assert_eq!(auth0_edge::codec::base64url::encode(b"\xfb\xff", &mut out).unwrap(), "-_8");
/// ```
pub fn encode<'o>(input: &[u8], out: &'o mut [u8]) -> Result<&'o str, Base64Error> {
    let n = encoded_len(input.len());
    let out = out.get_mut(..n).ok_or(Base64Error::BufferTooSmall)?;
    let written = URL_SAFE_NO_PAD.encode(input, Out::from_slice(out));
    core::str::from_utf8(written).map_err(|_| Base64Error::Invalid)
}

/// Encodes `input` into `out` and returns the number of bytes written (all ASCII).
pub(crate) fn encode_raw(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = encoded_len(input.len());
    Some(
        URL_SAFE_NO_PAD
            .encode(input, Out::from_slice(out.get_mut(..n)?))
            .len(),
    )
}

/// Whether `s` has only base64url characters and dots, as a compact JWE or JWS (or a chunk of
/// one) has: then nothing in it needs escaping in a URL or a cookie. Checked with SIMD, for the
/// large sealed values written into `Set-Cookie`.
pub fn is_compact_jose(s: &str) -> bool {
    let alphabet = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    let b = s.as_bytes();
    let mut start = 0;
    for end in memchr::memchr_iter(b'.', b).chain(core::iter::once(b.len())) {
        let seg = &b[start..end];
        // Whole 4-character groups always decode canonically, so the SIMD check is exactly an
        // alphabet check for them; the last 0-3 characters are checked one by one.
        let (groups, tail) = seg.split_at(seg.len() - seg.len() % 4);
        if URL_SAFE_NO_PAD.check(groups).is_err() || !tail.iter().all(alphabet) {
            return false;
        }
        start = end + 1;
    }
    true
}

/// Decodes public data (fast, not constant-time) into `out`.
///
/// ```
/// let mut out = [0u8; 8];
/// assert_eq!(auth0_edge::codec::base64url::decode("-_8", &mut out).unwrap(), b"\xfb\xff");
/// assert!(auth0_edge::codec::base64url::decode("-_8=", &mut out).is_err());
/// ```
pub fn decode<'o>(input: &str, out: &'o mut [u8]) -> Result<&'o mut [u8], Base64Error> {
    if out.len() < decoded_len(input.len()) {
        return Err(Base64Error::BufferTooSmall);
    }
    if input.len() % 4 == 1 {
        return Err(Base64Error::Invalid);
    }
    let out = &mut out[..decoded_len(input.len())];
    URL_SAFE_NO_PAD
        .decode(input.as_bytes(), Out::from_slice(out))
        .map_err(|_| Base64Error::Invalid)
}

/// [`decode`] over the input itself: the bytes decode front to back into the start of `text`
/// (the output is shorter, so each group is read before it is written over), with the same
/// checks. On failure `text` may be partly overwritten.
pub fn decode_in_place(text: &mut [u8]) -> Result<&mut [u8], Base64Error> {
    if text.len() % 4 == 1 {
        return Err(Base64Error::Invalid);
    }
    URL_SAFE_NO_PAD
        .decode_inplace(text)
        .map_err(|_| Base64Error::Invalid)
}

/// Decodes secret key material in constant time (`base64ct`) into `out`.
pub fn decode_secret<'o>(input: &str, out: &'o mut [u8]) -> Result<&'o [u8], Base64Error> {
    if out.len() < decoded_len(input.len()) {
        return Err(Base64Error::BufferTooSmall);
    }
    base64ct::Base64UrlUnpadded::decode(input, out)
        .map(|s| s as &[u8])
        .map_err(|_| Base64Error::Invalid)
}

/// Decodes exactly `N` bytes of public data, or fails.
pub fn decode_array<const N: usize>(input: &str) -> Result<[u8; N], Base64Error> {
    let mut out = [0u8; N];
    if input.len() != encoded_len(N) {
        return Err(Base64Error::Invalid);
    }
    let n = decode(input, &mut out)?.len();
    if n != N {
        return Err(Base64Error::Invalid);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_without_padding() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, enc) in cases {
            let mut buf = [0u8; 16];
            assert_eq!(encode(raw, &mut buf).unwrap(), enc);
            assert_eq!(encoded_len(raw.len()), enc.len());
            let mut out = [0u8; 16];
            assert_eq!(decode(enc, &mut out).unwrap(), raw);
            assert_eq!(decode_secret(enc, &mut out).unwrap(), raw);
            assert!(decoded_len(enc.len()) >= raw.len());
        }
    }

    #[test]
    fn rejects_padding_bad_chars_and_trailing_bits() {
        let mut out = [0u8; 16];
        for bad in [
            "Zg==",
            "Zm9v+A",
            "Zm9v/A",
            "Zh",
            "Z",
            "Zm9v YQ",
            "Zm9\u{e9}",
        ] {
            assert_eq!(decode(bad, &mut out), Err(Base64Error::Invalid), "{bad}");
            assert!(decode_secret(bad, &mut out).is_err(), "{bad}");
        }
    }

    #[test]
    fn compact_jose_shape() {
        assert!(is_compact_jose("eyJhbGciOiJkaXIifQ..abc_-A.xw.Zm8"));
        assert!(is_compact_jose(""));
        assert!(!is_compact_jose("abc:def"));
        assert!(!is_compact_jose("abc.d=e"));
        assert!(!is_compact_jose("ab;c"));
        assert!(is_compact_jose("a.abcde.Zh"));
    }

    #[test]
    fn small_buffers_are_errors() {
        let mut out = [0u8; 2];
        assert_eq!(decode("Zm9v", &mut out), Err(Base64Error::BufferTooSmall));
        assert_eq!(encode(b"foo", &mut out), Err(Base64Error::BufferTooSmall));
        assert!(decode_array::<3>("Zm9").is_err());
        assert_eq!(decode_array::<3>("Zm9v").unwrap(), *b"foo");
    }
}
