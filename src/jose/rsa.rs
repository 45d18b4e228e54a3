//! RSA signature verification without allocation: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) with
//! SHA-256 (RS256), SHA-384 and SHA-512, and RSASSA-PSS (RFC 8017 §8.1.2, EMSA-PSS §9.1.2,
//! MGF1 with the same hash, salt as long as the hash, as TLS 1.3 and X.509 use it) with
//! SHA-256, SHA-384 and SHA-512.
//!
//! The modulus of 2048, 3072 or 4096 bits is kept as `L` machine words (`crypto-bigint`'s
//! `Word`, 64 or 32 bits), with its Montgomery parameters computed once when the key is loaded
//! (by doublings and Montgomery squarings: no double-width division on the stack). The
//! arithmetic is the module's own, on fixed-size word arrays: Montgomery multiplication by
//! product scanning (FIPS), where column `c` of `a·b` is summed together with column `c` of
//! the reduction `m·n` and the quotient word `m[c]` is found as soon as the low column is
//! complete, so no double-width product is ever held; a column's sum lives in three words of
//! registers (`Acc`), each product taken with the double-width type (`WideWord`). Squaring
//! sums each product off the diagonal once and doubles it (16 of the 17 products of 65537 are
//! squarings). `n` is stored most significant word first, so the reduction's products are a
//! plain forward walk over both operands; the squaring takes its columns four at a time so
//! that the reduction's leftover products (the column length mod 4) are unrolled, not looped.
//!
//! Verification handles only public values, so it need not run in constant time: the loops'
//! lengths depend only on the width, but the final subtraction of a product is conditional.
//! The public exponent is applied by plain square-and-multiply: 65537 takes a multiplication
//! into Montgomery form, 16 squarings, and a last multiplication by the signature itself,
//! which also takes the result out of Montgomery form.

use crate::{JwkError, JwsError};
use crypto_bigint::{Limb, Uint, WideWord, Word};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// The DER prefix of a SHA-256 `DigestInfo` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// The DER prefix of a SHA-384 `DigestInfo`.
const SHA384_DIGEST_INFO: [u8; 19] = [
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
/// The DER prefix of a SHA-512 `DigestInfo`.
const SHA512_DIGEST_INFO: [u8; 19] = [
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];
const MAX_BYTES: usize = 512;
/// The bits of a word.
const W: u32 = Word::BITS;
/// The bytes of a word.
const WORD_BYTES: usize = Limb::BYTES;

/// An odd modulus `n` with what Montgomery multiplication needs (`R = 2^(L·W)`): `R² mod n`
/// and `−n⁻¹ mod 2^W`. Two integers of the width, not the four of crypto-bigint's
/// `DynResidueParams` (whose setup divides a double-width integer on the stack).
#[derive(Clone, Debug)]
struct Modulus<const L: usize> {
    /// The words of `n`, most significant first (`n_rev[L − 1 − i]` is word `i`).
    n_rev: [Word; L],
    /// The words of `R² mod n`, least significant first, as every other integer here.
    r2: [Word; L],
    n_neg_inv: Word,
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // No heap: the modulus lives inline at its width.
enum Width {
    W2048(Modulus<{ 2048 / Limb::BITS }>),
    W3072(Modulus<{ 3072 / Limb::BITS }>),
    W4096(Modulus<{ 4096 / Limb::BITS }>),
}

/// An RSA public key of 2048 to 4096 bits, ready to verify RS256 signatures.
#[derive(Clone, Debug)]
pub struct RsaPublicKey {
    width: Width,
    /// The modulus length in bytes (`k` in RFC 8017).
    k: usize,
    bits: usize,
    e: u64,
}

/// The words (least significant first) of the big-endian `bytes`, or `None` if they do not
/// fit `L` words.
fn words_from_be<const L: usize>(bytes: &[u8]) -> Option<[Word; L]> {
    if bytes.len() > L * WORD_BYTES {
        return None;
    }
    let mut x = [0; L];
    for (word, chunk) in x.iter_mut().zip(bytes.rchunks(WORD_BYTES)) {
        *word = chunk.iter().fold(0, |w, &b| (w << 8) | Word::from(b));
    }
    Some(x)
}

/// Writes the words `x` (least significant first) big-endian into `out`, which is
/// `x.len() * WORD_BYTES` long or shorter (keeping the low-order bytes).
fn words_to_be<'a>(x: impl IntoIterator<Item = &'a Word>, out: &mut [u8]) {
    for (word, chunk) in x.into_iter().zip(out.rchunks_mut(WORD_BYTES)) {
        let b = word.to_be_bytes();
        chunk.copy_from_slice(&b[WORD_BYTES - chunk.len()..]);
    }
}

/// The sum of one column of a product, `lo + hi·2^W`: three words, in registers. A column
/// sums at most `2L + 1` double-word products and the carry of the column before, far below
/// `2^(3W)`.
#[derive(Clone, Copy)]
struct Acc {
    lo: Word,
    hi: WideWord,
}

impl Acc {
    const ZERO: Acc = Acc { lo: 0, hi: 0 };

    /// `self += x·y`: a multiplication and three additions with carry. (The product's high
    /// word plus one carry still fits a word: it is at most `2^W − 2`.)
    #[inline(always)]
    fn mac(&mut self, x: Word, y: Word) {
        let p = WideWord::from(x) * WideWord::from(y);
        let (lo, carry) = self.lo.overflowing_add(p as Word);
        self.lo = lo;
        self.hi += WideWord::from((p >> W) as Word + Word::from(carry));
    }

    /// `self += other`.
    #[inline(always)]
    fn add(&mut self, other: Acc) {
        let (lo, carry) = self.lo.overflowing_add(other.lo);
        self.lo = lo;
        self.hi += other.hi + WideWord::from(carry);
    }

    /// `self *= 2` (the sums it doubles are below `2^(3W−1)`).
    #[inline(always)]
    fn double(&mut self) {
        self.hi = (self.hi << 1) | WideWord::from(self.lo >> (W - 1));
        self.lo <<= 1;
    }

    /// What carries into the next column: `self >> W`.
    #[inline(always)]
    fn carry(self) -> Acc {
        Acc {
            lo: self.hi as Word,
            hi: self.hi >> W,
        }
    }

    /// `self += Σ xs[k]·ys[len − 1 − k]` (`xs`, `ys` of one length, `ys` walked backwards).
    /// Four products a step, no bounds checks.
    #[inline(always)]
    fn dot_rev(&mut self, xs: &[Word], ys: &[Word]) {
        let (xs4, xs1) = xs.as_chunks::<4>();
        let (ys1, ys4) = ys.as_rchunks::<4>();
        for (x, y) in xs4.iter().zip(ys4.iter().rev()) {
            self.mac(x[0], y[3]);
            self.mac(x[1], y[2]);
            self.mac(x[2], y[1]);
            self.mac(x[3], y[0]);
        }
        for (x, y) in xs1.iter().zip(ys1.iter().rev()) {
            self.mac(*x, *y);
        }
    }

    /// `self += Σ xs[k]·ys[k]` for `xs`, `ys` of one length whose last `T` (at most 3)
    /// products are taken one by one and the others four at a step: the length minus `T` must
    /// be a multiple of 4.
    #[inline(always)]
    fn dot<const T: usize>(&mut self, xs: &[Word], ys: &[Word]) {
        let whole = xs.len() - T;
        debug_assert!(whole.is_multiple_of(4) && ys.len() == xs.len());
        let ((xs4, _), xs1) = (xs[..whole].as_chunks::<4>(), &xs[whole..]);
        let ((ys4, _), ys1) = (ys[..whole].as_chunks::<4>(), &ys[whole..]);
        for (x, y) in xs4.iter().zip(ys4) {
            self.mac(x[0], y[0]);
            self.mac(x[1], y[1]);
            self.mac(x[2], y[2]);
            self.mac(x[3], y[3]);
        }
        for (x, y) in xs1[..T].iter().zip(&ys1[..T]) {
            self.mac(*x, *y);
        }
    }

    /// `self += Σ xs[k]·ys[k]` for `xs`, `ys` of one length (any).
    #[inline(always)]
    fn dot_any(&mut self, xs: &[Word], ys: &[Word]) {
        let (xs4, xs1) = xs.as_chunks::<4>();
        let (ys4, ys1) = ys.as_chunks::<4>();
        for (x, y) in xs4.iter().zip(ys4) {
            self.mac(x[0], y[0]);
            self.mac(x[1], y[1]);
            self.mac(x[2], y[2]);
            self.mac(x[3], y[3]);
        }
        for (x, y) in xs1.iter().zip(ys1) {
            self.mac(*x, *y);
        }
    }
}

// The per-width functions are never inlined into the code that picks the width, so a 2048-bit
// key's verification uses a 2048-bit frame, not one with room for all three widths. The
// multiplication and the squaring are not inlined either: one copy of each per width, called
// from the exponentiation's frame (whose own integers are the signature, its Montgomery form
// and the running power: three of the width).
//
// Column `c` of `a·b + m·n` (`m` the Montgomery quotient, found a word a column) sums
// `a[j]·b[c−j]` and `m[j]·n[c−j]`; in the `L` low columns `m[c]` is the word that makes the
// column vanish mod `2^W`, and the `L` high ones (with the last carry) are the result, below
// `2n`, then reduced once. The output array `t` holds the words of `m` while the low columns
// are summed, then those of the result: column `L + j` needs `m` from word `j + 1` up only, so
// it may overwrite word `j`. With `n` stored reversed, `n[c−j]` for ascending `j` is
// `n_rev[L−1−c+j]`, ascending too.
impl<const L: usize> Modulus<L> {
    /// The modulus `n` (big-endian), which must be odd and at least 2 bits; `None` otherwise.
    ///
    /// `R² mod n` without a division: `2^(bits−1) < n` doubled modulo `n` up to `R mod n`
    /// (the Montgomery form of 1), then `s` more times to the form of `2^s`, then squared `j`
    /// times in Montgomery form to that of `2^(s·2^j) = R`, which is `R² mod n`.
    fn new(n: &[u8]) -> Option<Self> {
        let n = Uint::<L>::from_words(words_from_be::<L>(n)?);
        let n0 = n.as_words()[0];
        let bits = n.bits_vartime();
        if n0 & 1 == 0 || bits < 2 {
            return None;
        }
        // −n⁻¹ mod 2^W by Newton's iteration: `n0` is its own inverse mod 8, and each step
        // doubles the correct low bits (3, 6, …, 192 ≥ 64).
        let mut inv: Word = n0;
        for _ in 0..6 {
            inv = inv.wrapping_mul((2 as Word).wrapping_sub(n0.wrapping_mul(inv)));
        }
        let mut r2 = Uint::ONE.shl_vartime(bits - 1);
        // `R = 2^(s·2^j)`, `j` as large as divides the width, at most 6.
        let width = Uint::<L>::BITS;
        let j = width.trailing_zeros().min(6);
        let s = width >> j;
        // `x < n` throughout, so `x + x < 2n` as `add_mod` needs.
        for _ in 0..(width - (bits - 1) + s) {
            r2 = r2.add_mod(&r2, &n);
        }
        let mut n_rev = n.to_words();
        n_rev.reverse();
        let mut m = Modulus {
            n_rev,
            r2: r2.to_words(),
            n_neg_inv: inv.wrapping_neg(),
        };
        for _ in 0..j {
            m.r2 = m.sqr(&m.r2);
        }
        Some(m)
    }

    /// `x < n`.
    fn below_n(&self, x: &[Word; L]) -> bool {
        for (a, b) in x.iter().rev().zip(&self.n_rev) {
            if a != b {
                return a < b;
            }
        }
        false
    }

    /// `t` (plus `2^(L·W)` if `over`), which is below `2n`, reduced below `n`.
    #[inline(always)]
    fn reduce_once(&self, mut t: [Word; L], over: bool) -> [Word; L] {
        if over || !self.below_n(&t) {
            let mut borrow = false;
            for (x, y) in t.iter_mut().zip(self.n_rev.iter().rev()) {
                let (d, b1) = x.overflowing_sub(*y);
                let (d, b2) = d.overflowing_sub(Word::from(borrow));
                *x = d;
                borrow = b1 | b2;
            }
        }
        t
    }

    /// `a·b·R⁻¹ mod n` for `a, b < n`.
    #[inline(never)]
    fn mul(&self, a: &[Word; L], b: &[Word; L]) -> [Word; L] {
        let n_rev = &self.n_rev;
        let mut t = [0; L];
        let mut carry = Acc::ZERO;
        for c in 0..L {
            let mut col = carry;
            col.dot_rev(&a[..=c], &b[..=c]);
            // An accumulator of its own: the quotient words are not needed until the end.
            let mut red = Acc::ZERO;
            red.dot_any(&t[..c], &n_rev[L - 1 - c..L - 1]);
            col.add(red);
            let m = col.lo.wrapping_mul(self.n_neg_inv);
            col.mac(m, n_rev[L - 1]);
            t[c] = m;
            carry = col.carry();
        }
        for k in 1..L {
            // Column `L − 1 + k`.
            let mut col = carry;
            col.dot_rev(&a[k..], &b[k..]);
            let mut red = Acc::ZERO;
            red.dot_any(&t[k..], &n_rev[..L - k]);
            col.add(red);
            t[k - 1] = col.lo;
            carry = col.carry();
        }
        t[L - 1] = carry.lo;
        self.reduce_once(t, carry.hi != 0)
    }

    /// `a²·R⁻¹ mod n` for `a < n`: as [`Modulus::mul`], with each column's products off the
    /// diagonal (`a[j]·a[c−j]`, `j < c − j`) summed once and doubled, and its square on the
    /// diagonal added. Column `c` has `c` products of the reduction in the low half and
    /// `2L − 1 − c` in the high one; taking the columns four at a time makes the number left
    /// over by the reduction's steps of four products a constant of each of the four, so
    /// those are unrolled instead of looped.
    #[inline(never)]
    fn sqr(&self, a: &[Word; L]) -> [Word; L] {
        // Columns are taken four at a time: every width is a multiple of 4 words.
        const { assert!(L.is_multiple_of(4)) };
        let mut t = [0; L];
        let mut carry = Acc::ZERO;
        let mut c = 0;
        while c < L {
            self.sqr_low::<0>(c, a, &mut t, &mut carry);
            self.sqr_low::<1>(c + 1, a, &mut t, &mut carry);
            self.sqr_low::<2>(c + 2, a, &mut t, &mut carry);
            self.sqr_low::<3>(c + 3, a, &mut t, &mut carry);
            c += 4;
        }
        // The high columns run to `2L − 1`, whose sum is only the carry out of the one below.
        while c < 2 * L {
            self.sqr_high::<3>(c, a, &mut t, &mut carry);
            self.sqr_high::<2>(c + 1, a, &mut t, &mut carry);
            self.sqr_high::<1>(c + 2, a, &mut t, &mut carry);
            self.sqr_high::<0>(c + 3, a, &mut t, &mut carry);
            c += 4;
        }
        self.reduce_once(t, carry.lo != 0)
    }

    /// The products off the diagonal `a[j]·a[c−j]` for `j` in `from..(c + 1) / 2`, doubled,
    /// and `a[c/2]²` if `c` is even.
    #[inline(always)]
    fn sqr_products(c: usize, from: usize, a: &[Word; L]) -> Acc {
        let h = c.div_ceil(2);
        let mut col = Acc::ZERO;
        col.dot_rev(&a[from..h], &a[c + 1 - h..c + 1 - from]);
        col.double();
        if c.is_multiple_of(2) {
            col.mac(a[c / 2], a[c / 2]);
        }
        col
    }

    /// Low column `c` (`c mod 4 = T`) of a squaring: its quotient word into `t[c]`.
    #[inline(always)]
    fn sqr_low<const T: usize>(&self, c: usize, a: &[Word; L], t: &mut [Word; L], carry: &mut Acc) {
        let mut col = Self::sqr_products(c, 0, a);
        let mut red = *carry;
        red.dot::<T>(&t[..c], &self.n_rev[L - 1 - c..L - 1]);
        col.add(red);
        let m = col.lo.wrapping_mul(self.n_neg_inv);
        col.mac(m, self.n_rev[L - 1]);
        t[c] = m;
        *carry = col.carry();
    }

    /// High column `c` (`(2L − 1 − c) mod 4 = T`) of a squaring: its result word into
    /// `t[c − L]`.
    #[inline(always)]
    fn sqr_high<const T: usize>(
        &self,
        c: usize,
        a: &[Word; L],
        t: &mut [Word; L],
        carry: &mut Acc,
    ) {
        let k = c + 1 - L;
        let mut col = Self::sqr_products(c, k, a);
        let mut red = *carry;
        red.dot::<T>(&t[k..], &self.n_rev[..L - k]);
        col.add(red);
        t[k - 1] = col.lo;
        *carry = col.carry();
    }

    /// `s^e mod n` as `k` big-endian bytes, or `None` if `s >= n`; `e` is odd.
    #[inline(never)]
    fn exp(&self, s: &[u8], e: u64, out: &mut [u8]) -> Option<()> {
        debug_assert!(e & 1 == 1);
        let s = words_from_be::<L>(s)?;
        if !self.below_n(&s) {
            return None;
        }
        // Into Montgomery form, square-and-multiply there; the last bit (`e` is odd) multiplies
        // by `s` itself, which takes the result out of Montgomery form: `s^(e−1)·R · s · R⁻¹`.
        let base = self.mul(&s, &self.r2);
        let mut acc = base;
        let top = 63 - e.leading_zeros();
        for bit in (1..top).rev() {
            acc = self.sqr(&acc);
            if (e >> bit) & 1 == 1 {
                acc = self.mul(&acc, &base);
            }
        }
        let plain = if top == 0 {
            s
        } else {
            self.mul(&self.sqr(&acc), &s)
        };
        words_to_be(&plain, out);
        Some(())
    }

    fn modulus_be(&self, out: &mut [u8]) {
        words_to_be(self.n_rev.iter().rev(), out)
    }
}

// Each width's setup is built in its own frame, straight into the `Width` it returns: no
// frame holds a modulus of every width, nor a modulus and its copy.
impl Width {
    #[inline(never)]
    fn w2048(n: &[u8]) -> Option<Self> {
        Modulus::new(n).map(Width::W2048)
    }

    #[inline(never)]
    fn w3072(n: &[u8]) -> Option<Self> {
        Modulus::new(n).map(Width::W3072)
    }

    #[inline(never)]
    fn w4096(n: &[u8]) -> Option<Self> {
        Modulus::new(n).map(Width::W4096)
    }
}

impl RsaPublicKey {
    /// A key from its big-endian modulus `n` and exponent `e` (leading zero bytes allowed).
    ///
    /// The modulus must be odd and 2048 to 4096 bits; the exponent odd, at least 3 and at most
    /// 64 bits.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, JwkError> {
        let n = strip_zeros(n);
        // An empty modulus is 0 bits (refused below), never an underflow.
        let bits =
            (n.len() * 8).saturating_sub(n.first().map_or(8, |b| b.leading_zeros() as usize));
        let e = strip_zeros(e);
        let bad = JwkError::RsaKeySize { bits };
        if !(2048..=4096).contains(&bits) || n.last().is_none_or(|b| b & 1 == 0) || e.len() > 8 {
            return Err(bad);
        }
        let mut e8 = [0u8; 8];
        e8[8 - e.len()..].copy_from_slice(e);
        let e = u64::from_be_bytes(e8);
        if e < 3 || e & 1 == 0 {
            return Err(bad);
        }
        let width = if bits <= 2048 {
            Width::w2048(n)
        } else if bits <= 3072 {
            Width::w3072(n)
        } else {
            Width::w4096(n)
        }
        .ok_or(bad)?;
        Ok(RsaPublicKey {
            width,
            k: n.len(),
            bits,
            e,
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The public exponent.
    pub fn exponent(&self) -> u64 {
        self.e
    }

    /// The modulus length in bytes.
    pub fn modulus_len(&self) -> usize {
        self.k
    }

    /// Writes the modulus big-endian, without leading zeros, into `out` (at least
    /// [`RsaPublicKey::modulus_len`] bytes) and returns it.
    pub fn write_modulus<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let dst = out.get_mut(..self.k)?;
        match &self.width {
            Width::W2048(m) => m.modulus_be(dst),
            Width::W3072(m) => m.modulus_be(dst),
            Width::W4096(m) => m.modulus_be(dst),
        }
        Some(dst)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verify_pkcs1v15_sha256(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pkcs1v15::<Sha256>(&SHA256_DIGEST_INFO, message, signature)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-384 signature of `message`.
    pub fn verify_pkcs1v15_sha384(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pkcs1v15::<Sha384>(&SHA384_DIGEST_INFO, message, signature)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-512 signature of `message`.
    pub fn verify_pkcs1v15_sha512(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pkcs1v15::<Sha512>(&SHA512_DIGEST_INFO, message, signature)
    }

    /// Verifies an RSASSA-PSS signature of `message` with SHA-256, MGF1-SHA-256 and a 32-byte
    /// salt (TLS 1.3 `rsa_pss_rsae_sha256`, X.509 RSA-PSS with SHA-256).
    pub fn verify_pss_sha256(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pss::<Sha256>(message, signature)
    }

    /// Verifies an RSASSA-PSS signature of `message` with SHA-384, MGF1-SHA-384 and a 48-byte
    /// salt.
    pub fn verify_pss_sha384(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pss::<Sha384>(message, signature)
    }

    /// Verifies an RSASSA-PSS signature of `message` with SHA-512, MGF1-SHA-512 and a 64-byte
    /// salt.
    pub fn verify_pss_sha512(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        self.verify_pss::<Sha512>(message, signature)
    }

    /// RSAVP1 (RFC 8017 §5.2.2): `signature^e mod n` as `k` big-endian bytes into `em`.
    fn public_op(&self, signature: &[u8], em: &mut [u8]) -> Result<(), JwsError> {
        if signature.len() != self.k {
            return Err(JwsError::BadSignature);
        }
        let ok = match &self.width {
            Width::W2048(m) => m.exp(signature, self.e, em),
            Width::W3072(m) => m.exp(signature, self.e, em),
            Width::W4096(m) => m.exp(signature, self.e, em),
        };
        ok.ok_or(JwsError::BadSignature)
    }

    fn verify_pkcs1v15<D: Digest>(
        &self,
        digest_info: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), JwsError> {
        let k = self.k;
        let mut em = [0u8; MAX_BYTES];
        let em = &mut em[..k];
        self.public_op(signature, em)?;
        let mut expected = [0u8; MAX_BYTES];
        let expected = &mut expected[..k];
        encode_pkcs1v15::<D>(digest_info, message, expected);
        if em == expected {
            Ok(())
        } else {
            Err(JwsError::BadSignature)
        }
    }

    fn verify_pss<D: Digest>(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        let k = self.k;
        let mut em = [0u8; MAX_BYTES];
        let em = &mut em[..k];
        self.public_op(signature, em)?;
        if emsa_pss_verify::<D>(message, em, self.bits) {
            Ok(())
        } else {
            Err(JwsError::BadSignature)
        }
    }
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of `message` with hash `D` whose `DigestInfo` prefix is
/// `digest_info`, filling `em` (the modulus length, at least 11 bytes more than the
/// `DigestInfo`): `0x00 || 0x01 || PS (0xff…) || 0x00 || DigestInfo || H`.
fn encode_pkcs1v15<D: Digest>(digest_info: &[u8], message: &[u8], em: &mut [u8]) {
    let k = em.len();
    let h_len = <D as Digest>::output_size();
    let t_len = digest_info.len() + h_len;
    let ps_len = k - 3 - t_len;
    em.fill(0xff);
    em[0] = 0;
    em[1] = 1;
    em[2 + ps_len] = 0;
    em[3 + ps_len..3 + ps_len + digest_info.len()].copy_from_slice(digest_info);
    em[k - h_len..].copy_from_slice(&D::digest(message));
}

/// EMSA-PKCS1-v1_5 with SHA-256 of `message` into `em`.
#[cfg(feature = "testing")]
fn encode_pkcs1v15_sha256(message: &[u8], em: &mut [u8]) {
    encode_pkcs1v15::<Sha256>(&SHA256_DIGEST_INFO, message, em)
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with hash `D`, MGF1 over `D` and a salt of the hash's
/// length. `em_full` is the `k`-byte result of RSAVP1 for a modulus of `mod_bits` bits.
fn emsa_pss_verify<D: Digest>(message: &[u8], em_full: &[u8], mod_bits: usize) -> bool {
    let h_len = <D as Digest>::output_size();
    let s_len = h_len;
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    // I2OSP(m, emLen) (§8.1.2 step 2c): the k-byte integer must fit emLen bytes.
    let Some((lead, em)) = em_full.split_at_checked(em_full.len().saturating_sub(em_len)) else {
        return false;
    };
    if lead.iter().any(|&b| b != 0) || em.len() != em_len || em_len < h_len + s_len + 2 {
        return false;
    }
    // Steps 4-6: the trailer byte, and the bits above emBits clear.
    if em[em_len - 1] != 0xbc {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..h_len];
    let top = 0xffu8 >> (8 * em_len - em_bits);
    if masked_db[0] & !top != 0 {
        return false;
    }
    // Steps 7-9: DB = maskedDB xor MGF1(H), its top bits cleared.
    let mut db = [0u8; MAX_BYTES];
    let db = &mut db[..db_len];
    mgf1::<D>(h, db);
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    db[0] &= top;
    // Step 10: DB = PS (zeros) || 0x01 || salt.
    let ps_len = em_len - h_len - s_len - 2;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return false;
    }
    // Steps 11-14: H' = Hash(0x00 * 8 || mHash || salt) must equal H.
    let salt = &db[db_len - s_len..];
    let h2 = D::new()
        .chain_update([0u8; 8])
        .chain_update(D::digest(message))
        .chain_update(salt)
        .finalize();
    h2.as_slice() == h
}

/// MGF1 (RFC 8017 §B.2.1) over `D` of `seed`, filling `out`.
fn mgf1<D: Digest>(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
        let block = D::new()
            .chain_update(seed)
            .chain_update((counter as u32).to_be_bytes())
            .finalize();
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// Signs `message` RSASSA-PKCS1-v1_5 SHA-256 with a 2048-bit private key (`n`, `d`
/// big-endian) into `out` (256 bytes). For the test devices only: `pow` is constant-time in
/// the exponent's value but nothing else here is hardened.
#[cfg(feature = "testing")]
pub(crate) fn sign_pkcs1v15_sha256_2048(
    n: &[u8],
    d: &[u8],
    message: &[u8],
    out: &mut [u8; 256],
) -> Option<()> {
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    const L: usize = 2048 / Limb::BITS;
    #[allow(deprecated)] // `new_checked` is the non-panicking constructor in 0.5.
    let params = Option::from(DynResidueParams::new_checked(&Uint::from_words(
        words_from_be::<L>(n)?,
    )))?;
    let d = Uint::<L>::from_words(words_from_be::<L>(d)?);
    let mut em = [0u8; 256];
    encode_pkcs1v15_sha256(message, &mut em);
    let base = DynResidue::new(&Uint::from_words(words_from_be::<L>(&em)?), params);
    words_to_be(base.pow(&d).retrieve().as_words(), out);
    Some(())
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn an_empty_or_zero_modulus_is_an_error_not_an_underflow() {
        for n in [&[][..], &[0u8; 3][..]] {
            assert_eq!(
                RsaPublicKey::from_components(n, &[1, 0, 1]).err(),
                Some(JwkError::RsaKeySize { bits: 0 })
            );
        }
    }

    /// Test keys (made for these tests only): 2048 bits, and 2049 bits, whose encoded message
    /// is one byte shorter than the modulus (RFC 8017 §9.1.2's emLen = k - 1 case).
    const KEY_2048: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDMWGahmj0A9Xg8\nqh/6dWJXp1+mTqZS1S6qht1sff5KB15XNwHv0olZyIUHg/fh+RYhlMxghZTRRFYa\na2qDiJUo0kiQi++dqyki3ZzklkixV+uqzW3UIO08JZe6vKrx9pAfz0BeEIt9nAcU\n4AKRcLfa6PhFlBel7cXQsUIqebM7xYVAG/B4K4AB5aJm9yjFnNZVBigBIHCbFjpp\n1o/uUeloj7okt2Oiy+hMJvwN2krCxynPlkGFqXNV6D6yPa2QyhWl4lquvuhWr7lc\nk3xCti4CJ0Ap5/HBQ3zfobLgQjRRuN0Bft4B+ZzzMISv50C+oZ+O/FAZBQdOryRR\n9s54ZOujAgMBAAECggEAUXtEfVbn0VyQM7xwoOmyq5oJaWK+LpRkFcpOO6cnwTQb\n+bHs+0ibzSnIZd1I+BnfKcfQEQLi+ukBXmqLn+RT+eGT3tN12gx4jDcLCxkj5ldV\nGRfuHeJ9RnkE/giiL3ZuNMjq9TcqsA0Jw9ipHX5xSYCREwmAvoDH2rX72L0La57Z\nddAbwNclyMG548QciUPsBaRn9CCRzTQZRFiMcivG2na/3zofPf9OtDRuS36JsOgJ\nIoYNu6jYQNQWiyJFd3T7k4BvMnR231Z8OkaNdp/Vr3bxTn75+SI0m6AQxZTmCWkk\ntyw/6wnEPV8wH3YQM6zbkpevhL0HxerMlkB0WYPjrQKBgQD88FNDI0GiBvk9CGGL\nQXyHgvEhMvL0VCuu9h1CVC8i1GWM27gjfylQzQFerXyMJPDzKZyYBMbZHofSiNal\ndK/maqBr7x2dgY90rVlpyQ4fzdCC5NhfyUU3o+tKvgsaSBt9B//XnBcIe/8peWKU\np/8FvOnMnhD6M8CnGipHZPybxQKBgQDO0YUEzYBPvqbqLpP3cRtzd7txqtAkjJGA\njyZzKyHwGQUtmo+AFnuy4wXoxNpIQlAyG3HkxgGxDLSw4U8VdHR53Tz1hhNbPj7z\nD0p0OuYd0RPHiW0Kjem684l/ONA/+vAvpEx4fKoWVngdUaRmjq12Y1uRYcMH3qAT\nPelQGEJYRwKBgDWphwCnajVF5XrdXFR/ADx/u0if1oufj+T+shZwZc+t4B2SP+7H\n+6v40mGTzOiura/pFB/sY4OMxqQUA/X2W5s24/ICOPZBln3aiS24ShbVQ3eBtaYc\nvWKglDq3NwPMaIiOOek0ZG6YX/oclp2TRreg7LlMj62FbUoGcxHSiwVBAoGBAMoe\nmREIhM1qVVWoD5NTRrCh4t5DQQd3GPu66qjDDnfG+/iFhJh5YIqCs9O4Dltv81AE\n4lnh6OVOtYfnqZIeLXarcFfCoEgbnQmNeAX/ScT5/4qSE66s4i+Csm1S6LKeWv00\nZEecDd2mw9xjXXedGIkKsQJzuFaIi4hCiTFtg+khAoGBANP4q9y1J9DWdBC/cRWV\nvkHtF9Z15SmkLNgfL2IFJkLR0D9rTIpLGGfSn/xKKuyI9lMd8K6yewc6LBtEEWhN\nOk5ht1JRPSUlS9VBVlSRBLRFIIqj4DSIWDCuS+6SWzgA2b0Iktq4FEtFLFyyyDtx\nPMbRZzLs9aTQugZ0WgDejST9\n-----END PRIVATE KEY-----";
    const KEY_2049: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQFQPJRxqTNg1EJL\nYmfjo7DqhyaLOl0L1wMe0e14CnJXoIbEIxJ5aaB6bSKJUCTPO+LdrmO8AQYeA4Kk\nNjLUfoW7540eINncClxNSKyTQ4XfhtVigmDCTfYUj+3RUel/ZWQ6BrAduV6S13uG\nwPRX/oMSglRm563gJr0TTxmcSe+XPqbCk3HDW/yz6OgfedIhPIY5qkwaGJRu5HZO\ncNOV9zjdrzJj1gXtSn48SjtjBlwqXjJYAtcODpCZi6fgdrXA/e5U3kM4h7F9kQgJ\nYPFRdNrePW7uAa2DJARbhikPYJKvE4zCRMiaaQuVf37Ubnd77RLuD8ITUfDMIGmX\nkIEWXer1AgMBAAECggEADFQcUUqV8q/1ulPiYUtoOkE4XZSHQt7gY2npHiSr6qCd\nMGXk0ITZ+IM15/kDUIHuoJg7WfJjqggQ6zp9hKMa/jfQSdGEi3fpyH+orEGmj/qe\nql0DdTxskHZyjuFFAYHTOflyzbQ1TocOJXO/wdY4Mh6LP7aw/m4NMr8MvllLqqzw\nBZ5JDbVpF8NLTGMwPZPDs8U7OxlvcODssVkRyr2rxVmcJg61JwMW09prdAKSj0NQ\n5kJ1cq6tQUXjlb8AaP7fFHuO6TbJJqkGVQke9tPpjMdGaLezZRHHLLPdvNkA5e6n\nEoJDbN5v5oKc7fbxFZhBksbOFNmU7pdHXStO2N1oYQKBgQDcrceAJn9PhRkODhGD\nMB6NLBSJv0pAUuig2ibIITvqWxE4X5dFF+kh1VNk5rRQIBCOlhbvyX7E4RdUj40E\nAOLsyZSVEjHR/t+wG0/5ECPd+c2K8acPFPmIejNKfoghs24mn2VQ3wf6Y1MTfK/f\nv2rb4QBFDcuqNoPYbQrZdP6MuQKBgQGGDbuSleNNf09dq7j+bXDuxNRmmBkp/sEt\n9F4qKGeETrHYYy6JrdSltBFwRjLg6WXOM/sP8tZT4C0R1jr2dv5XKMhpx42NGNP3\nuUiv0VzhHrrDfmtwbq4iILTwmbcfmSaEX+F/tTcC0dACBq+sPXwEqD1QGeiF2M/Q\ngX0GG27KHQKBgQDOqFrkkqi0kkMVW21g+mYR9E7DdIUXWc0KHWEmF6FhZajprvMd\nPDgRfBHdswL26iA3Ny0BnyN9QgG0Kb54GlBoSJpBQ8muC031QI6TAl9kV7P5wzWc\nNRs9iJqRz46yaLLlrm2V31c8T1mULTcShNKQWNQE1td8bhLoUa1QWXSr2QKBgQFe\nbvgWupN9DORBRAbwj2LnIe+yPPRexoLIxsPTHHnkZM9jmbg1+fcS6LTCKk+LwiW1\nHP5zVbk5oi7b150h0cawh/OHFcIXAjduWQj07SSFHRaujOX6HXZVMw1dHL1ppi70\nvy/ZjPXfkqFPMLKkDJlflceAL8a4ehI7QhsRYZQoAQKBgQDB5o0qY/E9DcXNBf/t\n1Xa4Dw8bcBXpv1itXPuJwkseZEb7vdAgoJ4zz72BW0EtvR9kWUrtYXoMFbgFXB50\ndJe+5hmjuaMZyIEOq1iyL4GM/tzPPGx61jlCJ9bBgZ1O3yn3AhQTIyS/l7l43K/C\nPqTJkSnnZHcDSh2aiBKYr6unOQ==\n-----END PRIVATE KEY-----";

    fn keys(pem: &str) -> (::rsa::RsaPrivateKey, RsaPublicKey) {
        use ::rsa::pkcs8::DecodePrivateKey;
        use ::rsa::traits::PublicKeyParts;
        let private = ::rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        let public =
            RsaPublicKey::from_components(&private.n().to_bytes_be(), &private.e().to_bytes_be())
                .unwrap();
        (private, public)
    }

    type Verify = fn(&RsaPublicKey, &[u8], &[u8]) -> Result<(), JwsError>;

    /// The six verifications, in the order [`signatures`] makes signatures for them.
    const ALL: [Verify; 6] = [
        RsaPublicKey::verify_pkcs1v15_sha256,
        RsaPublicKey::verify_pkcs1v15_sha384,
        RsaPublicKey::verify_pkcs1v15_sha512,
        RsaPublicKey::verify_pss_sha256,
        RsaPublicKey::verify_pss_sha384,
        RsaPublicKey::verify_pss_sha512,
    ];

    /// Each signature verifies with its own scheme and hash only, and not after any change.
    fn check(key: &RsaPublicKey, sigs: &[std::vec::Vec<u8>; 6]) {
        for (i, sig) in sigs.iter().enumerate() {
            let verify = ALL[i];
            verify(key, b"message", sig).unwrap();
            assert!(verify(key, b"messagf", sig).is_err());
            for (j, other) in ALL.iter().enumerate() {
                assert_eq!(other(key, b"message", sig).is_ok(), i == j, "{i} {j}");
            }
            for at in [0, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[at] ^= 1;
                assert!(verify(key, b"message", &bad).is_err());
            }
            assert!(verify(key, b"message", &sig[1..]).is_err());
        }
    }

    /// Signatures of `message` by the `rsa` crate, one per entry of [`ALL`].
    fn signatures(private: &::rsa::RsaPrivateKey) -> [std::vec::Vec<u8>; 6] {
        use ::rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        use ::rsa::{pkcs1v15, pss};
        let rng = &mut rand_core::OsRng;
        let m = b"message";
        let k = || private.clone();
        [
            pkcs1v15::SigningKey::<Sha256>::new(k()).sign(m).to_vec(),
            pkcs1v15::SigningKey::<Sha384>::new(k()).sign(m).to_vec(),
            pkcs1v15::SigningKey::<Sha512>::new(k()).sign(m).to_vec(),
            pss::SigningKey::<Sha256>::new(k())
                .sign_with_rng(rng, m)
                .to_vec(),
            pss::SigningKey::<Sha384>::new(k())
                .sign_with_rng(rng, m)
                .to_vec(),
            pss::SigningKey::<Sha512>::new(k())
                .sign_with_rng(rng, m)
                .to_vec(),
        ]
    }

    #[test]
    fn pkcs1v15_and_pss_signatures_made_by_the_rsa_crate() {
        for pem in [KEY_2048, KEY_2049] {
            let (private, public) = keys(pem);
            check(&public, &signatures(&private));
        }
        assert_eq!(keys(KEY_2049).1.bits(), 2049);
    }

    #[test]
    fn pss_with_another_salt_length_is_refused() {
        use ::rsa::pss;
        use ::rsa::signature::{RandomizedSigner, SignatureEncoding};
        let (private, public) = keys(KEY_2048);
        let sig = pss::SigningKey::<Sha256>::new_with_salt_len(private, 20)
            .sign_with_rng(&mut rand_core::OsRng, b"message")
            .to_vec();
        assert!(public.verify_pss_sha256(b"message", &sig).is_err());
    }

    #[test]
    fn pss_encoding_checks() {
        // Hand-made encoded messages for a 2048-bit modulus, checked without the RSA step.
        let m = b"message";
        let h_len = 32;
        let em_len = 256;
        let salt = [7u8; 32];
        let m_hash = Sha256::digest(m);
        let h = Sha256::new()
            .chain_update([0u8; 8])
            .chain_update(m_hash)
            .chain_update(salt)
            .finalize();
        let mut db = [0u8; 256 - 32 - 1];
        let ps_len = em_len - h_len - 32 - 2;
        db[ps_len] = 1;
        db[ps_len + 1..].copy_from_slice(&salt);
        let mut mask = [0u8; 223];
        mgf1::<Sha256>(&h, &mut mask);
        let mut em = [0u8; 256];
        for i in 0..223 {
            em[i] = db[i] ^ mask[i];
        }
        em[0] &= 0x7f;
        em[223..255].copy_from_slice(&h);
        em[255] = 0xbc;
        assert!(emsa_pss_verify::<Sha256>(m, &em, 2048));
        assert!(!emsa_pss_verify::<Sha256>(b"other", &em, 2048));
        let mut bad = em;
        bad[255] = 0xbd;
        assert!(!emsa_pss_verify::<Sha256>(m, &bad, 2048), "trailer");
        let mut bad = em;
        bad[0] |= 0x80;
        assert!(!emsa_pss_verify::<Sha256>(m, &bad, 2048), "top bit");
        // Too short an encoding for the hash and salt, and an empty one.
        assert!(!emsa_pss_verify::<Sha512>(m, &em[..100], 800));
        assert!(!emsa_pss_verify::<Sha256>(m, &[], 2048));
    }

    #[test]
    fn rejects_bad_sizes() {
        let small = [0xffu8; 128];
        assert!(matches!(
            RsaPublicKey::from_components(&small, &[1, 0, 1]),
            Err(JwkError::RsaKeySize { bits: 1024 })
        ));
        let mut even = [0xffu8; 256];
        even[255] = 0xfe;
        assert!(RsaPublicKey::from_components(&even, &[1, 0, 1]).is_err());
        let big = [0xffu8; 513];
        assert!(RsaPublicKey::from_components(&big, &[1, 0, 1]).is_err());
        let ok = [0xffu8; 256];
        assert!(RsaPublicKey::from_components(&ok, &[2]).is_err());
        assert!(RsaPublicKey::from_components(&ok, &[1]).is_err());
        assert!(RsaPublicKey::from_components(&ok, &[1, 0, 0, 0, 0, 0, 0, 0, 1]).is_err());
        let key = RsaPublicKey::from_components(&ok, &[0, 1, 0, 1]).unwrap();
        assert_eq!((key.bits(), key.exponent()), (2048, 65537));
        // Signatures of the wrong length or not below n fail without panicking.
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0u8; 255]).is_err());
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0xffu8; 256]).is_err());
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0x01u8; 256]).is_err());
    }

    /// `s^e mod n` by crypto-bigint's own Montgomery arithmetic, to check ours against.
    fn reference<const L: usize>(n: &[u8], s: &[u8], e: u64) -> std::vec::Vec<u8> {
        use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
        let params = DynResidueParams::new(&Uint::from_words(words_from_be::<L>(n).unwrap()));
        let r = DynResidue::new(&Uint::from_words(words_from_be::<L>(s).unwrap()), params)
            .pow(&Uint::<L>::from_u64(e))
            .retrieve();
        let mut out = std::vec![0u8; n.len()];
        words_to_be(r.as_words(), &mut out);
        out
    }

    fn exp_matches<const L: usize>(bits: usize, seed: u64) {
        // A pseudo-random odd modulus of exactly `bits` bits, and a base below it.
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        };
        let len = bits.div_ceil(8);
        let mut n: std::vec::Vec<u8> = (0..len).map(|_| next()).collect();
        let top = bits - (len - 1) * 8;
        n[0] = (n[0] & ((1u16 << top) - 1) as u8) | (1 << (top - 1));
        n[len - 1] |= 1;
        let mut s: std::vec::Vec<u8> = (0..len).map(|_| next()).collect();
        s[0] = 0;
        let m = Modulus::<L>::new(&n).unwrap();
        for e in [3, 65537, 0xffff_fff1] {
            let mut out = std::vec![0u8; len];
            m.exp(&s, e, &mut out).unwrap();
            assert_eq!(out, reference::<L>(&n, &s, e), "{bits} bits, e = {e}");
        }
        // `s >= n` is refused.
        assert!(m.exp(&n, 3, &mut std::vec![0u8; len]).is_none());
    }

    #[test]
    fn montgomery_setup_and_exponentiation_match_crypto_bigint() {
        const L2: usize = 2048 / Limb::BITS;
        const L3: usize = 3072 / Limb::BITS;
        const L4: usize = 4096 / Limb::BITS;
        for seed in [0x9e37_79b9_7f4a_7c15, 42] {
            exp_matches::<L2>(2048, seed);
            exp_matches::<L2>(2047, seed);
            exp_matches::<L3>(2049, seed);
            exp_matches::<L3>(2500, seed);
            exp_matches::<L3>(3072, seed);
            exp_matches::<L4>(3073, seed);
            exp_matches::<L4>(4096, seed);
        }
        // An even modulus, and one of a single bit, have no setup.
        assert!(Modulus::<L2>::new(&[2]).is_none());
        assert!(Modulus::<L2>::new(&[1]).is_none());
        assert!(Modulus::<L2>::new(&[3]).is_some());
    }

    /// `Modulus::mul` and `Modulus::sqr` against crypto-bigint's Montgomery product and
    /// square (the same `R`), for every pair of the operands below `n` from [`edge_operands`].
    fn mul_and_sqr_match<const L: usize>(n: [Word; L], seed: u64) {
        use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
        let mut bytes = std::vec![0u8; L * WORD_BYTES];
        words_to_be(&n, &mut bytes);
        let m = Modulus::<L>::new(&bytes).unwrap();
        let params = DynResidueParams::new(&Uint::from_words(n));
        let residue = |x: &[Word; L]| DynResidue::from_montgomery(Uint::from_words(*x), params);
        let xs = edge_operands(&m, n, seed);
        for x in &xs {
            let square = residue(x).square();
            assert_eq!(
                &m.sqr(x),
                square.as_montgomery().as_words(),
                "{n:x?}² {x:x?}"
            );
            for y in &xs {
                let product = residue(x) * residue(y);
                assert_eq!(
                    &m.mul(x, y),
                    product.as_montgomery().as_words(),
                    "{x:x?}·{y:x?}"
                );
            }
        }
    }

    /// 0, 1, 2, `n − 1`, `n − 2`, `(n − 1)/2`, every word all ones but the top one (which is
    /// the top word of `n − 1`), every word all ones but the top bit, and pseudo-random values:
    /// those below `n`.
    fn edge_operands<const L: usize>(
        m: &Modulus<L>,
        n: [Word; L],
        seed: u64,
    ) -> std::vec::Vec<[Word; L]> {
        let small = |v: Word| {
            let mut x = [0; L];
            x[0] = v;
            x
        };
        let n_minus = |d: Word| {
            let (mut x, mut borrow) = (n, d);
            for w in x.iter_mut() {
                let b;
                (*w, b) = w.overflowing_sub(borrow);
                borrow = Word::from(b);
            }
            x
        };
        let (n1, n2) = (n_minus(1), n_minus(2));
        let mut half = n1;
        for i in 0..L {
            half[i] = (half[i] >> 1) | half.get(i + 1).map_or(0, |w| w << (W - 1));
        }
        let mut ones = [Word::MAX; L];
        ones[L - 1] = n1[L - 1];
        let mut top_clear = [Word::MAX; L];
        top_clear[L - 1] >>= 1;
        let mut x = seed;
        let mut random = || {
            let mut r = [0; L];
            for w in r.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *w = x as Word;
            }
            r[L - 1] %= n[L - 1].max(1);
            r
        };
        let (r1, r2) = (random(), random());
        [
            small(0),
            small(1),
            small(2),
            n1,
            n2,
            half,
            ones,
            top_clear,
            r1,
            r2,
        ]
        .into_iter()
        .filter(|x| m.below_n(x))
        .collect()
    }

    /// The final subtraction, on `x + n` (with the carry out of the top word as `over`) for
    /// edge operands `x` and ones whose sum with `n` carries through words of all ones.
    fn reduce_once_matches<const L: usize>(n: [Word; L], seed: u64) {
        let mut bytes = std::vec![0u8; L * WORD_BYTES];
        words_to_be(&n, &mut bytes);
        let m = Modulus::<L>::new(&bytes).unwrap();
        let mut xs = edge_operands(&m, n, seed);
        // A low word that carries when `n`'s is added, then words of all ones.
        let mut carrying = [Word::MAX; L];
        carrying[0] = n[0].wrapping_neg().wrapping_add(1);
        carrying[L - 1] = n[L - 1].saturating_sub(1);
        xs.extend([carrying].into_iter().filter(|x| m.below_n(x)));
        for x in xs {
            assert_eq!(m.reduce_once(x, false), x);
            let (mut t, mut carry) = (x, false);
            for (w, v) in t.iter_mut().zip(n) {
                let (s, c1) = w.overflowing_add(v);
                let (s, c2) = s.overflowing_add(Word::from(carry));
                (*w, carry) = (s, c1 | c2);
            }
            assert_eq!(m.reduce_once(t, carry), x, "{x:x?} + n");
        }
    }

    #[test]
    fn montgomery_mul_sqr_and_final_subtraction_on_edge_values() {
        fn moduli<const L: usize>(seed: u64) {
            // All ones; the top bit and 1; a random one of the full width; one of a word less;
            // and the smallest, 3.
            let mut sparse = [0; L];
            (sparse[0], sparse[L - 1]) = (1, 1 << (W - 1));
            let mut x = seed;
            let mut random = [0; L];
            for w in random.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *w = x as Word;
            }
            random[0] |= 1;
            random[L - 1] |= 1 << (W - 1);
            let mut shorter = random;
            shorter[L - 1] = 0;
            let mut three = [0; L];
            three[0] = 3;
            for n in [[Word::MAX; L], sparse, random, shorter, three] {
                mul_and_sqr_match::<L>(n, seed);
                reduce_once_matches::<L>(n, seed);
            }
        }
        for seed in [0x9e37_79b9_7f4a_7c15, 7] {
            moduli::<{ 2048 / Limb::BITS }>(seed);
            moduli::<{ 3072 / Limb::BITS }>(seed);
            moduli::<{ 4096 / Limb::BITS }>(seed);
        }
    }
}
