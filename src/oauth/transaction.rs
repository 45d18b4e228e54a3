//! The login transaction cookie of `@auth0/nextjs-auth0` v4.29+ (`src/server/transaction-store.ts`).
//!
//! Between the redirect to `/authorize` and the callback, the PKCE verifier, `state`, `nonce`
//! and `returnTo` live in a cookie named `__txn_<state>` (parallel mode, the default) or
//! `__txn_` (single mode). Its value is `<ts>:<JWE>`, where `ts` is the creation time in Unix
//! seconds (used for FIFO eviction) and the JWE seals the [`Transaction`] JSON with
//! `exp = ts + maxAge`. On the wire the colon is percent-encoded (`%3A`). A bare JWE (the
//! 4.28 format) is still read, with `ts = 0`.

use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object, ObjectWriter};
use crate::codec::time::UnixTime;
use crate::jose::jwe;
use crate::session::Document;
use crate::{Error, JweError, SessionError};
use rand_core::CryptoRngCore;

/// The default cookie name prefix.
pub const DEFAULT_PREFIX: &str = "__txn_";
/// The default `Max-Age` of a transaction cookie, in seconds.
pub const DEFAULT_MAX_AGE: u64 = 3600;

/// The transaction state sealed in the cookie.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Transaction<'a> {
    /// `nonce`, checked against the ID token.
    pub nonce: JsonStr<'a>,
    /// `maxAge`: the OIDC `max_age` sent, for the `auth_time` check.
    pub max_age: Option<i64>,
    /// `codeVerifier`: the PKCE verifier.
    pub code_verifier: JsonStr<'a>,
    /// `responseType`: `code` (or `connect_code`).
    pub response_type: JsonStr<'a>,
    /// `state`.
    pub state: JsonStr<'a>,
    /// `returnTo`: the relative path to land on after the callback.
    pub return_to: JsonStr<'a>,
    /// `scope` sent to `/authorize`.
    pub scope: Option<JsonStr<'a>>,
    /// `audience` sent to `/authorize`.
    pub audience: Option<JsonStr<'a>>,
    /// `challengeMode`: only `popup` is stored.
    pub challenge_mode: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

impl Document for Transaction<'_> {
    const KEYS: &'static [&'static str] = &[
        "nonce",
        "maxAge",
        "codeVerifier",
        "responseType",
        "state",
        "returnTo",
        "scope",
        "audience",
        "challengeMode",
        "exp",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        let opt = |o: &mut ObjectWriter<'_, '_>, k, v: Option<JsonStr<'_>>| match v {
            Some(v) => o.json_str(k, v),
            None => Ok(()),
        };
        match i {
            0 => o.json_str("nonce", self.nonce),
            1 => match self.max_age {
                Some(m) => o.i64("maxAge", m),
                None => Ok(()),
            },
            2 => o.json_str("codeVerifier", self.code_verifier),
            3 => o.json_str("responseType", self.response_type),
            4 => o.json_str("state", self.state),
            5 => o.json_str("returnTo", self.return_to),
            6 => opt(o, "scope", self.scope),
            7 => opt(o, "audience", self.audience),
            8 => opt(o, "challengeMode", self.challenge_mode),
            _ => Ok(()),
        }
    }
}

/// A transaction read from its cookie.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Opened<'a> {
    /// The transaction.
    pub transaction: Transaction<'a>,
    /// The `<ts>` prefix of the cookie value (0 for the bare 4.28 format).
    pub created_at: UnixTime,
}

impl<'a> Transaction<'a> {
    /// Reads a transaction from its JSON.
    pub fn parse(json: &'a str) -> Result<Transaction<'a>, Error> {
        Self::from_object(Object::parse(json)?)
    }

    fn from_object(o: Object<'a>) -> Result<Transaction<'a>, Error> {
        let mut t = Transaction {
            raw: Some(o),
            ..Transaction::default()
        };
        let (mut nonce, mut verifier, mut state) = (None, None, None);
        for (k, v) in o.members() {
            let s = |field| v.as_json_str().ok_or(SessionError::InvalidField(field));
            match k.as_str().unwrap_or("") {
                "nonce" => nonce = Some(s("nonce")?),
                "maxAge" => t.max_age = v.as_number().and_then(|n| n.floor_i64()),
                "codeVerifier" => verifier = Some(s("codeVerifier")?),
                "responseType" => t.response_type = s("responseType")?,
                "state" => state = Some(s("state")?),
                "returnTo" => t.return_to = s("returnTo")?,
                "scope" => t.scope = Some(s("scope")?),
                "audience" => t.audience = Some(s("audience")?),
                "challengeMode" => t.challenge_mode = Some(s("challengeMode")?),
                _ => {}
            }
        }
        t.nonce = nonce.ok_or(SessionError::MissingField("nonce"))?;
        t.code_verifier = verifier.ok_or(SessionError::MissingField("codeVerifier"))?;
        t.state = state.ok_or(SessionError::MissingField("state"))?;
        Ok(t)
    }

    /// Writes the transaction's JSON, with `exp` last when given.
    pub fn write_json(&self, w: &mut Writer<'_>, exp: Option<i64>) -> Result<(), Error> {
        self.write(w, |o| match exp {
            Some(e) => o.i64("exp", e),
            None => Ok(()),
        })
    }

    /// Seals the transaction at `now` for `max_age` seconds and returns the cookie value
    /// `<now>:<JWE>` (unencoded; [`crate::cookie::SetCookie`] percent-encodes the colon).
    pub fn seal<'b>(
        &self,
        key: &jwe::Key,
        rng: &mut impl CryptoRngCore,
        now: UnixTime,
        max_age: u64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        let capacity = buf.len();
        let overflow = Error::BufferTooSmall {
            what: "transaction",
            capacity,
        };
        let mut prefix = [0u8; 24];
        let mut pw = Writer::new(&mut prefix, "transaction");
        pw.push_i64(now)?;
        pw.push_ascii(b':')?;
        let p = pw.len();
        // JSON first, sealed right after it, then the JWE moved behind the `<ts>:` prefix.
        let (json_len, sealed_len) = {
            let mut w = Writer::new(&mut *buf, "transaction");
            self.write_json(
                &mut w,
                Some(now.saturating_add(i64::try_from(max_age).unwrap_or(i64::MAX))),
            )?;
            let (plaintext, out) = w.into_parts();
            let sealed = jwe::seal(key, rng, plaintext, out).map_err(|_| overflow)?;
            (plaintext.len(), sealed.len())
        };
        if p + sealed_len > capacity {
            return Err(overflow);
        }
        buf.copy_within(json_len..json_len + sealed_len, p);
        buf[..p].copy_from_slice(&prefix[..p]);
        core::str::from_utf8(&buf[..p + sealed_len]).map_err(|_| JweError::Payload.into())
    }
}

/// Splits a transaction cookie value (already percent-decoded) into its `ts` and JWE.
pub fn split_value(value: &str) -> (UnixTime, &str) {
    match value.split_once(':') {
        Some((ts, jwe)) => (ts.parse().unwrap_or(0), jwe),
        None => (0, value),
    }
}

/// Opens a transaction cookie value (percent-decoded): decrypts, checks `exp`, parses.
pub fn open<'b>(
    key: &jwe::Key,
    value: &str,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Opened<'b>, Error> {
    let (created_at, compact) = split_value(value);
    let claims = jwe::open_jwt(key, compact, now, buf)?;
    Ok(Opened {
        transaction: Transaction::from_object(claims)?,
        created_at,
    })
}
