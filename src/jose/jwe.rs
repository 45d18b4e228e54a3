//! Compact JWE with `alg: dir` and `enc: A256GCM` (RFC 7516, RFC 7518 §4.5, §5.3), keyed
//! the way `@auth0/nextjs-auth0` v4 keys it.
//!
//! The content-encryption key is HKDF-SHA256 (RFC 5869) of the **UTF-8 bytes** of
//! `AUTH0_SECRET` (not hex-decoded), with an empty salt and the info `JWE CEK`, 32 bytes.
//! [`seal`] writes exactly the SDK's protected header, `{"enc":"A256GCM","alg":"dir"}`, and an
//! empty encrypted-key segment; [`open`] accepts nothing else. Session, transaction and
//! connection-token cookies all use this pair.

use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::json::Object;
use crate::crypto::{AeadKey, CryptoProvider};
use crate::{ConfigError, Error, JweError};
use rand_core::CryptoRngCore;
use sha2::Sha256;
use zeroize::Zeroize;

/// The protected header the Next.js SDK writes, byte for byte.
pub const PROTECTED_HEADER: &str = r#"{"enc":"A256GCM","alg":"dir"}"#;
/// [`PROTECTED_HEADER`] in base64url: the first segment of every sealed value.
pub const PROTECTED_HEADER_B64: &str = "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0";
/// The HKDF info the SDK uses for the content-encryption key.
pub const CEK_INFO: &str = "JWE CEK";
/// Seconds a JWE stays acceptable past its `exp` (jose's `clockTolerance` in the SDK).
pub const CLOCK_TOLERANCE: i64 = 15;
/// The minimum length of `AUTH0_SECRET`, in characters.
pub const MIN_SECRET_CHARS: usize = 32;

const IV_LEN: usize = 12;
/// The plaintext bytes sealed per step in place (a multiple of 3, and of the 24 bytes the
/// base64url encoder's vector path takes per step).
const SEAL_CHUNK: usize = 192;
const TAG_LEN: usize = 16;
const MAX_HEADER_LEN: usize = 512;

/// HKDF-SHA256 with an empty salt: 32 bytes of output keying material for `info`.
///
/// ```
/// // The vector of the wire spec: 64 × "a", info "JWE CEK".
/// let key = auth0_edge::jose::jwe::hkdf_sha256("a".repeat(64).as_bytes(), b"JWE CEK");
/// assert_eq!(key[..4], [0xb6, 0x43, 0xc6, 0xc2]);
/// ```
pub fn hkdf_sha256(ikm: &[u8], info: &[u8]) -> [u8; 32] {
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF's limit of 255 × 32, so expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(None, ikm).expand(info, &mut okm);
    okm
}

/// The content-encryption key, derived once and reused (the AES key schedule included),
/// with the [`CryptoProvider`] that seals and opens under it.
#[derive(Clone)]
pub struct Key {
    provider: &'static CryptoProvider,
    cipher: AeadKey,
}

impl Key {
    /// Derives the key from `AUTH0_SECRET` as the Next.js SDK does, for the
    /// [default provider](crate::crypto::default_provider).
    ///
    /// The secret must have at least 32 characters.
    pub fn from_secret(secret: &str) -> Result<Key, ConfigError> {
        Key::from_secret_with(crate::crypto::default_provider(), secret)
    }

    /// [`Key::from_secret`] for the given provider.
    pub fn from_secret_with(
        provider: &'static CryptoProvider,
        secret: &str,
    ) -> Result<Key, ConfigError> {
        let len = secret.chars().count();
        if len < MIN_SECRET_CHARS {
            return Err(ConfigError::SecretTooShort { len });
        }
        let mut k = hkdf_sha256(secret.as_bytes(), CEK_INFO.as_bytes());
        let key = Key::from_bytes_with(provider, &k);
        k.zeroize();
        Ok(key)
    }

    /// A key from 32 raw bytes, for the default provider.
    pub fn from_bytes(bytes: &[u8; 32]) -> Key {
        Key::from_bytes_with(crate::crypto::default_provider(), bytes)
    }

    /// A key from 32 raw bytes, for the given provider.
    pub fn from_bytes_with(provider: &'static CryptoProvider, bytes: &[u8; 32]) -> Key {
        Key {
            provider,
            cipher: provider.aead.key(bytes),
        }
    }

    /// The provider this key seals and opens with.
    pub fn provider(&self) -> &'static CryptoProvider {
        self.provider
    }
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Key({}, ..)", self.provider.name)
    }
}

/// The length of the compact JWE that [`seal`] writes for a plaintext of `plaintext_len` bytes.
pub const fn sealed_len(plaintext_len: usize) -> usize {
    PROTECTED_HEADER_B64.len()
        + 2
        + base64url::encoded_len(IV_LEN)
        + 1
        + base64url::encoded_len(plaintext_len)
        + 1
        + base64url::encoded_len(TAG_LEN)
}

/// Encrypts `plaintext` in place with a random IV and writes the compact JWE into `out`.
///
/// `plaintext` is left holding the ciphertext. `out` needs [`sealed_len`] bytes.
///
/// ```
/// use auth0_edge::jose::jwe;
/// let key = jwe::Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
/// let mut data = *b"{\"hello\":\"world\"}";
/// let mut out = [0u8; 128];
/// let sealed = jwe::seal(&key, &mut rand_core::OsRng, &mut data, &mut out)?;
/// assert!(sealed.starts_with(jwe::PROTECTED_HEADER_B64));
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn seal<'o>(
    key: &Key,
    rng: &mut impl CryptoRngCore,
    plaintext: &mut [u8],
    out: &'o mut [u8],
) -> Result<&'o str, Error> {
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    seal_with_iv(key, &iv, plaintext, out)
}

/// [`seal`] with a caller-chosen IV. An IV must never be reused with the same key: use this
/// only for test vectors.
pub fn seal_with_iv<'o>(
    key: &Key,
    iv: &[u8; IV_LEN],
    plaintext: &mut [u8],
    out: &'o mut [u8],
) -> Result<&'o str, Error> {
    let mut w = Writer::new(out, "sealed JWE");
    if w.spare_mut().len() < sealed_len(plaintext.len()) {
        return Err(w.overflow());
    }
    let tag = key
        .provider
        .aead
        .seal_in_place(&key.cipher, iv, PROTECTED_HEADER_B64.as_bytes(), plaintext)
        .map_err(|_| w.overflow())?;
    w.push_str(PROTECTED_HEADER_B64)?;
    w.push_str("..")?;
    w.push_base64url(iv)?;
    w.push_ascii(b'.')?;
    w.push_base64url(plaintext)?;
    w.push_ascii(b'.')?;
    w.push_base64url(&tag)?;
    Ok(w.into_str())
}

/// Seals in place: `buf[..plaintext_len]` holds the plaintext, and the compact JWE (the same
/// bytes [`seal`] writes) is written over it, into `buf[..sealed_len(plaintext_len)]`, with a
/// random IV. `buf` needs [`sealed_len`] bytes: no second buffer for the plaintext. Given
/// `plaintext_len` more bytes than that, it encrypts past the JWE and encodes in one step (a
/// little faster; the same JWE).
///
/// ```
/// use auth0_edge::jose::jwe;
/// let key = jwe::Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
/// let mut buf = [0u8; 128];
/// let plaintext = b"{\"hello\":\"world\"}";
/// buf[..plaintext.len()].copy_from_slice(plaintext);
/// let sealed = jwe::seal_in_place(&key, &mut rand_core::OsRng, &mut buf, plaintext.len())?;
/// assert!(sealed.starts_with(jwe::PROTECTED_HEADER_B64));
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn seal_in_place<'b>(
    key: &Key,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
    plaintext_len: usize,
) -> Result<&'b str, Error> {
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    seal_in_place_with_iv(key, &iv, buf, plaintext_len)
}

/// [`seal_in_place`], returning the JWE's length: `buf[..len]` is the compact JWE (ASCII) and
/// what follows it is scratch (ciphertext) the caller may reuse.
pub(crate) fn seal_in_place_len(
    key: &Key,
    rng: &mut impl CryptoRngCore,
    buf: &mut [u8],
    plaintext_len: usize,
) -> Result<usize, Error> {
    let mut iv = [0u8; IV_LEN];
    rng.fill_bytes(&mut iv);
    seal_raw(key, &iv, buf, plaintext_len)
}

/// [`seal_in_place`] with a caller-chosen IV. An IV must never be reused with the same key:
/// use this only for test vectors.
pub fn seal_in_place_with_iv<'b>(
    key: &Key,
    iv: &[u8; IV_LEN],
    buf: &'b mut [u8],
    plaintext_len: usize,
) -> Result<&'b str, Error> {
    let capacity = buf.len();
    let len = seal_raw(key, iv, buf, plaintext_len)?;
    core::str::from_utf8(&buf[..len]).map_err(|_| Error::BufferTooSmall {
        what: "sealed JWE",
        capacity,
    })
}

/// [`seal_in_place_with_iv`], returning the JWE's length.
fn seal_raw(
    key: &Key,
    iv: &[u8; IV_LEN],
    buf: &mut [u8],
    plaintext_len: usize,
) -> Result<usize, Error> {
    let capacity = buf.len();
    let overflow = move || Error::BufferTooSmall {
        what: "sealed JWE",
        capacity,
    };
    let n = plaintext_len;
    let total = sealed_len(n);
    if total > buf.len() || n > buf.len() {
        return Err(overflow());
    }
    // With room for the ciphertext past the JWE, it is encrypted there and its base64url
    // written in one step; else within the JWE's own bytes, a chunk at a time.
    let roomy = buf.len() - total >= n;
    let buf = &mut buf[..if roomy { total + n } else { total }];
    // The plaintext moves to the end, is encrypted there, and its base64url is written from
    // the front: each block is read before the output reaches it (the output stays at least
    // the tag's segment, 23 bytes, behind).
    let start = buf.len() - n;
    buf.copy_within(..n, start);
    let tag = key
        .provider
        .aead
        .seal_in_place(
            &key.cipher,
            iv,
            PROTECTED_HEADER_B64.as_bytes(),
            &mut buf[start..],
        )
        .map_err(|_| overflow())?;
    let mut at = 0;
    let put = |buf: &mut [u8], at: &mut usize, bytes: &[u8]| -> Result<(), Error> {
        let end = *at + bytes.len();
        buf.get_mut(*at..end)
            .ok_or_else(overflow)?
            .copy_from_slice(bytes);
        *at = end;
        Ok(())
    };
    put(buf, &mut at, PROTECTED_HEADER_B64.as_bytes())?;
    put(buf, &mut at, b"..")?;
    let mut tmp = [0u8; 64];
    let iv_b64 = base64url::encode(iv, &mut tmp).map_err(|_| overflow())?;
    put(buf, &mut at, iv_b64.as_bytes())?;
    put(buf, &mut at, b".")?;
    // `SEAL_CHUNK` bytes (a multiple of 3) at a time, copied out before their base64url is
    // written: writing `4/3 len` where `len` was read needs a gap of `len/3` between the output
    // and the next unread byte; the gap only shrinks, and after the last chunk it is still the
    // tag's segment (23 bytes), so it always holds (and is checked).
    if roomy {
        let (out, ciphertext) = buf.split_at_mut(total);
        at += base64url::encode_raw(ciphertext, &mut out[at..]).ok_or_else(overflow)?;
        put(out, &mut at, b".")?;
        let tag_b64 = base64url::encode(&tag, &mut tmp).map_err(|_| overflow())?;
        put(out, &mut at, tag_b64.as_bytes())?;
        return Ok(at);
    }
    let mut read = start;
    let mut chunk = [0u8; SEAL_CHUNK];
    while read < total {
        let len = (total - read).min(chunk.len());
        chunk[..len].copy_from_slice(&buf[read..read + len]);
        read += len;
        if at + base64url::encoded_len(len) > read {
            return Err(overflow());
        }
        at += base64url::encode_raw(&chunk[..len], &mut buf[at..read]).ok_or_else(overflow)?;
    }
    chunk.zeroize();
    put(buf, &mut at, b".")?;
    let tag_b64 = base64url::encode(&tag, &mut tmp).map_err(|_| overflow())?;
    put(buf, &mut at, tag_b64.as_bytes())?;
    Ok(at)
}

/// The five segments of a compact JWE.
struct Parts<'a> {
    header: &'a str,
    encrypted_key: &'a str,
    iv: &'a str,
    ciphertext: &'a str,
    tag: &'a str,
}

fn split(compact: &str) -> Result<Parts<'_>, JweError> {
    // The dots are ASCII, so every range falls on character boundaries.
    let [header, encrypted_key, iv, ciphertext, tag] = split_ranges(compact.as_bytes())?;
    let part = |(a, b): (usize, usize)| &compact[a..b];
    Ok(Parts {
        header: part(header),
        encrypted_key: part(encrypted_key),
        iv: part(iv),
        ciphertext: part(ciphertext),
        tag: part(tag),
    })
}

/// The byte ranges of the five segments of a compact JWE (exactly four dots, else
/// [`JweError::Malformed`]).
fn split_ranges(compact: &[u8]) -> Result<[(usize, usize); 5], JweError> {
    let mut dots = memchr::memchr_iter(b'.', compact);
    let mut parts = [(0, compact.len()); 5];
    let mut start = 0;
    for part in &mut parts[..4] {
        let end = dots.next().ok_or(JweError::Malformed)?;
        *part = (start, end);
        start = end + 1;
    }
    parts[4].0 = start;
    if dots.next().is_some() {
        return Err(JweError::Malformed);
    }
    Ok(parts)
}

fn check_header(header_b64: &str) -> Result<(), JweError> {
    if header_b64 == PROTECTED_HEADER_B64 {
        return Ok(());
    }
    let mut buf = [0u8; MAX_HEADER_LEN];
    let raw = base64url::decode(header_b64, &mut buf).map_err(|e| match e {
        base64url::Base64Error::BufferTooSmall => JweError::Header,
        _ => JweError::Base64,
    })?;
    let header = Object::parse_bytes(raw).map_err(|_| JweError::Header)?;
    if header.get("crit").is_some() {
        return Err(JweError::Crit);
    }
    if header.get("zip").is_some() {
        return Err(JweError::Header);
    }
    match header.get_str("alg") {
        Some(a) if a == "dir" => {}
        _ => return Err(JweError::UnsupportedAlg),
    }
    match header.get_str("enc") {
        Some(e) if e == "A256GCM" => Ok(()),
        _ => Err(JweError::UnsupportedEnc),
    }
}

/// The size of the buffer [`open`] needs for a compact JWE of `compact_len` characters.
pub const fn open_buffer_len(compact_len: usize) -> usize {
    base64url::decoded_len(compact_len)
}

/// Checks and decrypts a compact JWE into `buf` and returns the plaintext.
///
/// Refuses, each with its own [`JweError`]: another `alg` or `enc`, `crit`, a non-empty
/// encrypted key, an IV that is not 12 bytes, a tag that is not 16 bytes, and any tampering.
pub fn open<'b>(key: &Key, compact: &str, buf: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
    let p = split(compact)?;
    check_header(p.header)?;
    if !p.encrypted_key.is_empty() {
        return Err(JweError::EncryptedKeyNotEmpty.into());
    }
    let mut iv = [0u8; 16];
    let iv: &[u8; IV_LEN] = (&*base64url::decode(p.iv, &mut iv).map_err(|_| JweError::IvLength)?)
        .try_into()
        .map_err(|_| JweError::IvLength)?;
    let mut tag = [0u8; 24];
    let tag: &[u8; TAG_LEN] = (&*base64url::decode(p.tag, &mut tag)
        .map_err(|_| JweError::TagLength)?)
        .try_into()
        .map_err(|_| JweError::TagLength)?;
    let capacity = buf.len();
    let plaintext = base64url::decode(p.ciphertext, buf).map_err(|e| match e {
        base64url::Base64Error::BufferTooSmall => Error::BufferTooSmall {
            what: "JWE plaintext",
            capacity,
        },
        _ => JweError::Base64.into(),
    })?;
    if key
        .provider
        .aead
        .open_in_place(&key.cipher, iv, p.header.as_bytes(), plaintext, tag)
        .is_err()
    {
        // No unauthenticated plaintext is left behind, whichever provider ran.
        plaintext.zeroize();
        return Err(JweError::Decryption.into());
    }
    Ok(plaintext)
}

/// [`open`] where the compact JWE is: `compact` holds it, and its ciphertext segment is
/// base64url-decoded over itself (front to back: the output is shorter than the input, so
/// each group is read before it is written over) and decrypted there. The checks, the typed
/// errors and the plaintext are [`open`]'s, byte for byte; no second buffer is needed. The JWE
/// is not kept: its ciphertext segment is overwritten, on failure too (with zeros once it was
/// decoded, as [`open`] leaves its buffer).
///
/// A segment that is not UTF-8 (which [`open`] cannot be given) is refused as a segment
/// that is not base64url is: [`JweError::Base64`] (header, ciphertext), [`JweError::IvLength`],
/// [`JweError::TagLength`].
///
/// ```
/// use auth0_edge::jose::jwe;
/// let key = jwe::Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
/// let mut data = *b"{\"hello\":\"world\"}";
/// let mut out = [0u8; 128];
/// let n = jwe::seal(&key, &mut rand_core::OsRng, &mut data, &mut out)?.len();
/// assert_eq!(jwe::open_in_place(&key, &mut out[..n])?, b"{\"hello\":\"world\"}");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn open_in_place<'b>(key: &Key, compact: &'b mut [u8]) -> Result<&'b mut [u8], Error> {
    let [h, k, iv, ct, tag] = split_ranges(compact)?;
    let text =
        |(a, b): (usize, usize), e: JweError| core::str::from_utf8(&compact[a..b]).map_err(|_| e);
    // Bytes that are not UTF-8 are no base64url: the error `check_header` gives for a header
    // that does not decode (a header too long for its buffer is `Header` first).
    let header_err = if base64url::decoded_len(h.1 - h.0) > MAX_HEADER_LEN {
        JweError::Header
    } else {
        JweError::Base64
    };
    check_header(text(h, header_err)?)?;
    if k.1 > k.0 {
        return Err(JweError::EncryptedKeyNotEmpty.into());
    }
    let mut iv_buf = [0u8; 16];
    let iv: &[u8; IV_LEN] = (&*base64url::decode(text(iv, JweError::IvLength)?, &mut iv_buf)
        .map_err(|_| JweError::IvLength)?)
        .try_into()
        .map_err(|_| JweError::IvLength)?;
    let mut tag_buf = [0u8; 24];
    let tag: &[u8; TAG_LEN] = (&*base64url::decode(text(tag, JweError::TagLength)?, &mut tag_buf)
        .map_err(|_| JweError::TagLength)?)
        .try_into()
        .map_err(|_| JweError::TagLength)?;
    let (front, rest) = compact.split_at_mut(ct.0);
    let aad = &front[h.0..h.1];
    let segment = &mut rest[..ct.1 - ct.0];
    let plaintext = base64url::decode_in_place(segment).map_err(|_| JweError::Base64)?;
    if key
        .provider
        .aead
        .open_in_place(&key.cipher, iv, aad, plaintext, tag)
        .is_err()
    {
        // No unauthenticated plaintext is left behind, whichever provider ran.
        plaintext.zeroize();
        return Err(JweError::Decryption.into());
    }
    Ok(plaintext)
}

/// Checks `exp` and `nbf` against `now` with [`CLOCK_TOLERANCE`], as jose's `jwtDecrypt`
/// does in the SDK: expired when `exp <= now - 15`, not yet valid when `nbf > now + 15`.
pub fn check_times(exp: Option<i64>, nbf: Option<i64>, now: i64) -> Result<(), JweError> {
    if exp.is_some_and(|exp| exp <= now.saturating_sub(CLOCK_TOLERANCE)) {
        return Err(JweError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(CLOCK_TOLERANCE)) {
        return Err(JweError::NotYetValid);
    }
    Ok(())
}

/// Checks a decrypted JWT payload's `exp` and `nbf` (see [`check_times`]) and returns the
/// payload object.
pub fn check_claims(payload: &[u8], now: i64) -> Result<Object<'_>, Error> {
    let claims = Object::parse_bytes(payload).map_err(|_| JweError::Payload)?;
    let (mut exp, mut nbf) = (None, None);
    for (k, v) in claims.members() {
        let num = || {
            v.as_number()
                .and_then(|n| n.floor_i64())
                .ok_or(JweError::Payload)
        };
        if k == "exp" {
            exp = Some(num()?);
        } else if k == "nbf" {
            nbf = Some(num()?);
        }
    }
    check_times(exp, nbf, now)?;
    Ok(claims)
}

/// [`open`] followed by [`check_claims`]: decrypts a JWT and returns its checked claims.
pub fn open_jwt<'b>(
    key: &Key,
    compact: &str,
    now: i64,
    buf: &'b mut [u8],
) -> Result<Object<'b>, Error> {
    let plaintext: &'b [u8] = open(key, compact, buf)?;
    check_claims(plaintext, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::{RngCore, SeedableRng};

    /// A deterministic RNG for tests.
    struct TestRng(u64);
    impl RngCore for TestRng {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            rand_core::impls::fill_bytes_via_next(self, dest)
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for TestRng {}
    impl SeedableRng for TestRng {
        type Seed = [u8; 8];
        fn from_seed(seed: [u8; 8]) -> Self {
            TestRng(u64::from_le_bytes(seed))
        }
    }

    const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";

    #[test]
    fn hkdf_vector_from_the_wire_spec() {
        let key = hkdf_sha256("a".repeat(64).as_bytes(), CEK_INFO.as_bytes());
        let expected = "b643c6c263b8e2fc220f58451c263641d82e2c021b445d351b4a0d83a561b800";
        let mut hex = [0u8; 64];
        for (i, b) in key.iter().enumerate() {
            hex[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
            hex[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
        }
        assert_eq!(core::str::from_utf8(&hex).unwrap(), expected);
    }

    #[test]
    fn header_constant_matches() {
        let mut buf = [0u8; 64];
        assert_eq!(
            base64url::encode(PROTECTED_HEADER.as_bytes(), &mut buf).unwrap(),
            PROTECTED_HEADER_B64
        );
    }

    #[test]
    fn short_secret_is_a_config_error() {
        assert_eq!(
            Key::from_secret("too short").unwrap_err(),
            ConfigError::SecretTooShort { len: 9 }
        );
        // 32 characters, counted as characters rather than bytes.
        assert!(Key::from_secret(&"é".repeat(32)).is_ok());
        assert!(Key::from_secret(&"é".repeat(31)).is_err());
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = Key::from_secret(SECRET).unwrap();
        let mut rng = TestRng::seed_from_u64(7);
        let mut pt = *b"{\"exp\":4102444800,\"a\":1}";
        let mut out = [0u8; 256];
        let sealed = seal(&key, &mut rng, &mut pt, &mut out).unwrap();
        assert_eq!(sealed.len(), sealed_len(pt.len()));
        let mut buf = [0u8; 256];
        let claims = open_jwt(&key, sealed, 1_800_000_000, &mut buf).unwrap();
        assert_eq!(claims.get_i64("a"), Some(1));

        // Flip one character of each segment in turn.
        let mut copy = [0u8; 256];
        let n = sealed.len();
        copy[..n].copy_from_slice(sealed.as_bytes());
        let dots: heapless::Vec<usize, 4> = sealed.match_indices('.').map(|(i, _)| i).collect();
        for pos in [dots[1] + 2, dots[2] + 3, dots[3] + 2] {
            let mut t = copy;
            t[pos] = if t[pos] == b'A' { b'B' } else { b'A' };
            let s = core::str::from_utf8(&t[..n]).unwrap();
            assert!(open(&key, s, &mut buf).is_err());
        }
        let other = Key::from_secret("another-secret-that-is-at-least-32-characters").unwrap();
        assert_eq!(
            open(&other, sealed, &mut buf),
            Err(JweError::Decryption.into())
        );
    }

    #[test]
    fn sealing_in_place_writes_what_sealing_writes() {
        let key = Key::from_secret(SECRET).unwrap();
        let iv = [7u8; IV_LEN];
        let mut plain = [0u8; 400];
        for (i, b) in plain.iter_mut().enumerate() {
            *b = b'a' + (i % 26) as u8;
        }
        for n in 0..plain.len() {
            let mut pt = [0u8; 400];
            pt[..n].copy_from_slice(&plain[..n]);
            let mut out = [0u8; 700];
            let expected = seal_with_iv(&key, &iv, &mut pt[..n], &mut out).unwrap();
            let mut buf = [0u8; 700];
            buf[..n].copy_from_slice(&plain[..n]);
            let total = sealed_len(n);
            let sealed = seal_in_place_with_iv(&key, &iv, &mut buf[..total], n).unwrap();
            assert_eq!(sealed, expected, "{n}");
            // With room past the JWE (the one-step path, and just short of it).
            for room in [n, n.saturating_sub(1)] {
                let mut roomy = [0u8; 1200];
                roomy[..n].copy_from_slice(&plain[..n]);
                let sealed =
                    seal_in_place_with_iv(&key, &iv, &mut roomy[..total + room], n).unwrap();
                assert_eq!(sealed, expected, "{n} with {room} bytes of room");
            }
            let mut small = [0u8; 700];
            assert!(seal_in_place_with_iv(&key, &iv, &mut small[..total - 1], n).is_err());
        }
    }

    /// `open_in_place` gives what `open` gives, plaintext or typed error, for a sealed value
    /// and for every one-character change, cut and extension of it.
    #[test]
    fn opening_in_place_gives_what_opening_gives() {
        let key = Key::from_secret(SECRET).unwrap();
        let mut rng = TestRng::seed_from_u64(3);
        let check = |s: &[u8]| {
            let mut buf = [0u8; 512];
            let expected = match core::str::from_utf8(s) {
                Ok(s) => open(&key, s, &mut buf).map(|p| &*p),
                Err(_) => return,
            };
            let mut copy = [0u8; 512];
            copy[..s.len()].copy_from_slice(s);
            let got = open_in_place(&key, &mut copy[..s.len()]).map(|p| &*p);
            assert_eq!(got, expected, "{:?}", core::str::from_utf8(s));
        };
        for n in [0usize, 1, 2, 3, 4, 17, 100] {
            let mut pt = [b'x'; 100];
            let mut out = [0u8; 256];
            let sealed = seal(&key, &mut rng, &mut pt[..n], &mut out).unwrap();
            let b = sealed.as_bytes();
            check(b);
            for i in 0..b.len() {
                for c in [b'A', b'B', b'.', b'=', b'!', b'-', b'_', b'e'] {
                    let mut t = [0u8; 256];
                    t[..b.len()].copy_from_slice(b);
                    t[i] = c;
                    check(&t[..b.len()]);
                }
                check(&b[..i]);
                check(&b[i..]);
            }
            for tail in [&b"."[..], b"A", b"AA", b".A"] {
                let mut t = [0u8; 256];
                t[..b.len()].copy_from_slice(b);
                t[b.len()..b.len() + tail.len()].copy_from_slice(tail);
                check(&t[..b.len() + tail.len()]);
            }
        }
        for rest in [
            ".AA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "..AAAAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAA",
            "..AAAAAAAAAAAAAAAA.A!AA.AAAAAAAAAAAAAAAAAAAAAA",
            "..AAAAAAAAAAAAAAAA.AAAAA.AAAAAAAAAAAAAAAAAAAAAA",
            "..AAAAAAAAAAAAAAAA.AAAA",
        ] {
            let mut t = [0u8; 256];
            let mut w = Writer::new(&mut t, "t");
            w.push_str(PROTECTED_HEADER_B64).unwrap();
            w.push_str(rest).unwrap();
            let n = w.len();
            check(&t[..n]);
        }
        // Another key: the same `Decryption`, and no plaintext left behind.
        let other = Key::from_secret("another-secret-that-is-at-least-32-characters").unwrap();
        let mut pt = *b"{\"a\":1}";
        let mut out = [0u8; 256];
        let n = seal(&other, &mut rng, &mut pt, &mut out).unwrap().len();
        check(&out[..n]);
        assert_eq!(
            open_in_place(&key, &mut out[..n]),
            Err(JweError::Decryption.into())
        );
        // Bytes that are not UTF-8: refused, as bytes that are not base64url are.
        let mut pt = *b"{}";
        let mut out = [0u8; 256];
        let n = seal(&key, &mut rng, &mut pt, &mut out).unwrap().len();
        let dots: heapless::Vec<usize, 4> = out[..n]
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'.')
            .map(|(i, _)| i)
            .collect();
        for (pos, err) in [
            (3, JweError::Base64),
            (dots[1] + 1, JweError::IvLength),
            (dots[2] + 1, JweError::Base64),
            (dots[3] + 1, JweError::TagLength),
        ] {
            let mut t = out;
            t[pos] = 0xff;
            assert_eq!(open_in_place(&key, &mut t[..n]), Err(err.into()), "{pos}");
        }
    }

    #[test]
    fn expiry_with_tolerance() {
        let key = Key::from_secret(SECRET).unwrap();
        let mut rng = TestRng::seed_from_u64(1);
        let mut pt = *b"{\"exp\":1000}";
        let mut out = [0u8; 128];
        let sealed = seal(&key, &mut rng, &mut pt, &mut out).unwrap();
        let mut buf = [0u8; 64];
        assert!(open_jwt(&key, sealed, 1014, &mut buf).is_ok());
        assert_eq!(
            open_jwt(&key, sealed, 1015, &mut buf),
            Err(JweError::Expired.into())
        );
    }

    #[test]
    fn header_checks() {
        let key = Key::from_secret(SECRET).unwrap();
        let mut buf = [0u8; 64];
        let mut h = [0u8; 128];
        let cases: [(&str, Error); 4] = [
            (
                r#"{"alg":"A256KW","enc":"A256GCM"}"#,
                JweError::UnsupportedAlg.into(),
            ),
            (
                r#"{"alg":"dir","enc":"A128GCM"}"#,
                JweError::UnsupportedEnc.into(),
            ),
            (
                r#"{"alg":"dir","enc":"A256GCM","crit":["x"]}"#,
                JweError::Crit.into(),
            ),
            (r#"not json"#, JweError::Header.into()),
        ];
        for (header, err) in cases {
            let hb = base64url::encode(header.as_bytes(), &mut h).unwrap();
            let mut t = [0u8; 256];
            let mut w = Writer::new(&mut t, "t");
            w.push_str(hb).unwrap();
            w.push_str("..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA")
                .unwrap();
            assert_eq!(open(&key, w.as_str(), &mut buf), Err(err), "{header}");
        }
        let base = PROTECTED_HEADER_B64;
        let mut t = [0u8; 256];
        let mut check = |rest: &str, err: JweError| {
            let mut w = Writer::new(&mut t, "t");
            w.push_str(base).unwrap();
            w.push_str(rest).unwrap();
            assert_eq!(open(&key, w.as_str(), &mut buf), Err(err.into()), "{rest}");
        };
        check(
            ".AA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            JweError::EncryptedKeyNotEmpty,
        );
        check(
            "..AAAAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            JweError::IvLength,
        );
        check(
            "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAA",
            JweError::TagLength,
        );
        check(
            "..AAAAAAAAAAAAAAAA.A!AA.AAAAAAAAAAAAAAAAAAAAAA",
            JweError::Base64,
        );
        check("..AAAAAAAAAAAAAAAA.AAAA", JweError::Malformed);
        check(
            "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA.",
            JweError::Malformed,
        );
        check(
            "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
            JweError::Decryption,
        );
    }
}
