//! The session document: known members typed, unknown members kept in their place, written back
//! in the SDK's order (`user`, `tokenSet`, `accessTokens`, `internal`, extras, `exp`).

use super::*;
use crate::oauth::token_exchange::ConnectionTokenSet;

/// A JSON object with known members (typed fields) and unknown ones (kept in `raw`).
pub(crate) trait Document {
    /// The known member names, in the order the SDK writes them.
    const KEYS: &'static [&'static str];
    /// The object the document was read from (or `{}`).
    fn raw(&self) -> Object<'_>;
    /// A large member value known to be in `raw` unchanged, which writing can jump over.
    fn known(&self) -> Option<&str> {
        None
    }
    /// Writes known member `index` if it has a value.
    fn write_known(&self, index: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error>;

    /// Writes the document: members in their original order, new known members after them in
    /// `KEYS` order, then whatever `tail` adds (e.g. `exp`). A known member whose typed value
    /// is `None` is left out.
    fn write(
        &self,
        w: &mut Writer<'_>,
        tail: impl FnOnce(&mut ObjectWriter<'_, '_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut o = ObjectWriter::begin(w)?;
        let mut done = 0u64;
        let members = match self.known() {
            Some(known) => self.raw().members_knowing(known),
            None => self.raw().members(),
        };
        for (k, v) in members {
            match Self::KEYS.iter().position(|name| k == *name) {
                Some(i) => {
                    if done & (1 << i) == 0 {
                        self.write_known(i, &mut o)?;
                        done |= 1 << i;
                    }
                }
                None => o.member(k, v)?,
            }
        }
        for i in 0..Self::KEYS.len() {
            if done & (1 << i) == 0 {
                self.write_known(i, &mut o)?;
            }
        }
        tail(&mut o)?;
        o.end()
    }
}

fn want_str<'a>(v: Value<'a>, field: &'static str) -> Result<JsonStr<'a>, SessionError> {
    v.as_json_str().ok_or(SessionError::InvalidField(field))
}

/// A number member read as `Math.floor` would; a non-number counts as absent, as in the SDK.
fn num(v: Value<'_>) -> Option<i64> {
    v.as_number()?.floor_i64()
}

fn put_str(o: &mut ObjectWriter<'_, '_>, k: &str, v: Option<JsonStr<'_>>) -> Result<(), Error> {
    match v {
        Some(s) => o.json_str(k, s),
        None => Ok(()),
    }
}

fn put_num(o: &mut ObjectWriter<'_, '_>, k: &str, v: Option<i64>) -> Result<(), Error> {
    match v {
        Some(n) => o.i64(k, n),
        None => Ok(()),
    }
}

// Token sets

/// The session's main token set (`tokenSet`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct TokenSet<'a> {
    /// `accessToken`.
    pub access_token: Option<JsonStr<'a>>,
    /// `idToken`.
    pub id_token: Option<JsonStr<'a>>,
    /// `scope`: the scope the server granted.
    pub scope: Option<JsonStr<'a>>,
    /// `requestedScope`: the scope the SDK asked for.
    pub requested_scope: Option<JsonStr<'a>>,
    /// `audience`.
    pub audience: Option<JsonStr<'a>>,
    /// `refreshToken`.
    pub refresh_token: Option<JsonStr<'a>>,
    /// `expiresAt`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `token_type`, lower case (`bearer`, `dpop`); only stored after a refresh.
    pub token_type: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> TokenSet<'a> {
    /// Writes the token set as the session's `tokenSet` object (the SDK's member names).
    pub fn write_json(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.write(w, |_| Ok(()))
    }

    fn parse(o: Object<'a>) -> Result<TokenSet<'a>, SessionError> {
        let mut t = TokenSet {
            raw: Some(o),
            ..TokenSet::default()
        };
        for (k, v) in o.members() {
            let k = k.as_str().unwrap_or("");
            match k {
                "accessToken" => t.access_token = Some(want_str(v, "tokenSet.accessToken")?),
                "idToken" => t.id_token = Some(want_str(v, "tokenSet.idToken")?),
                "scope" => t.scope = Some(want_str(v, "tokenSet.scope")?),
                "requestedScope" => {
                    t.requested_scope = Some(want_str(v, "tokenSet.requestedScope")?)
                }
                "audience" => t.audience = Some(want_str(v, "tokenSet.audience")?),
                "refreshToken" => t.refresh_token = Some(want_str(v, "tokenSet.refreshToken")?),
                "expiresAt" => t.expires_at = num(v),
                "token_type" => t.token_type = Some(want_str(v, "tokenSet.token_type")?),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for TokenSet<'_> {
    const KEYS: &'static [&'static str] = &[
        "accessToken",
        "idToken",
        "scope",
        "requestedScope",
        "audience",
        "refreshToken",
        "expiresAt",
        "token_type",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "accessToken", self.access_token),
            1 => put_str(o, "idToken", self.id_token),
            2 => put_str(o, "scope", self.scope),
            3 => put_str(o, "requestedScope", self.requested_scope),
            4 => put_str(o, "audience", self.audience),
            5 => put_str(o, "refreshToken", self.refresh_token),
            6 => put_num(o, "expiresAt", self.expires_at),
            _ => put_str(o, "token_type", self.token_type),
        }
    }
}

/// An extra access token for another audience or scope (an `accessTokens` entry, MRRT).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct AccessToken<'a> {
    /// `accessToken`.
    pub access_token: Option<JsonStr<'a>>,
    /// `expiresAt`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `audience`.
    pub audience: Option<JsonStr<'a>>,
    /// `scope`: granted.
    pub scope: Option<JsonStr<'a>>,
    /// `requestedScope`.
    pub requested_scope: Option<JsonStr<'a>>,
    /// `token_type`.
    pub token_type: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> AccessToken<'a> {
    fn parse(o: Object<'a>) -> Result<AccessToken<'a>, SessionError> {
        let mut t = AccessToken {
            raw: Some(o),
            ..AccessToken::default()
        };
        for (k, v) in o.members() {
            match k.as_str().unwrap_or("") {
                "accessToken" => t.access_token = Some(want_str(v, "accessTokens.accessToken")?),
                "expiresAt" => t.expires_at = num(v),
                "audience" => t.audience = Some(want_str(v, "accessTokens.audience")?),
                "scope" => t.scope = Some(want_str(v, "accessTokens.scope")?),
                "requestedScope" => {
                    t.requested_scope = Some(want_str(v, "accessTokens.requestedScope")?)
                }
                "token_type" => t.token_type = Some(want_str(v, "accessTokens.token_type")?),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for AccessToken<'_> {
    const KEYS: &'static [&'static str] = &[
        "accessToken",
        "expiresAt",
        "audience",
        "scope",
        "requestedScope",
        "token_type",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "accessToken", self.access_token),
            1 => put_num(o, "expiresAt", self.expires_at),
            2 => put_str(o, "audience", self.audience),
            3 => put_str(o, "scope", self.scope),
            4 => put_str(o, "requestedScope", self.requested_scope),
            _ => put_str(o, "token_type", self.token_type),
        }
    }
}

/// The SDK's bookkeeping (`internal`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct Internal<'a> {
    /// `sid`: the ID token's session id, used for `logout_hint` and back-channel logout.
    pub sid: Option<JsonStr<'a>>,
    /// `createdAt`: Unix seconds at login; the absolute expiry counts from it.
    pub created_at: Option<i64>,
    /// `sessionExpiresAt`: the IPSIE ceiling from the ID token's `session_expiry`.
    pub session_expires_at: Option<i64>,
    /// The object this was read from; its unknown members (`mcd`, …) are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> Internal<'a> {
    fn parse(o: Object<'a>) -> Result<Internal<'a>, SessionError> {
        let mut t = Internal {
            raw: Some(o),
            ..Internal::default()
        };
        for (k, v) in o.members() {
            match k.as_str().unwrap_or("") {
                "sid" => t.sid = Some(want_str(v, "internal.sid")?),
                "createdAt" => t.created_at = num(v),
                "sessionExpiresAt" => t.session_expires_at = num(v),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for Internal<'_> {
    const KEYS: &'static [&'static str] = &["sid", "createdAt", "sessionExpiresAt"];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "sid", self.sid),
            1 => put_num(o, "createdAt", self.created_at),
            _ => put_num(o, "sessionExpiresAt", self.session_expires_at),
        }
    }
}

// The session

/// The session document.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Session<'a> {
    /// `user`: the (filtered) ID-token claims, as a JSON object.
    pub user: Object<'a>,
    /// `tokenSet`.
    pub token_set: TokenSet<'a>,
    /// `accessTokens`: tokens for other audiences and scopes.
    pub access_tokens: heapless::Vec<AccessToken<'a>, MAX_ACCESS_TOKENS>,
    /// `internal`.
    pub internal: Internal<'a>,
    /// `connectionTokenSets`: connection access tokens (Token Vault). A stored session keeps
    /// them in its record; a cookie session in `__FC_<i>` cookies beside the session cookie,
    /// never in it.
    pub connection_token_sets: heapless::Vec<ConnectionTokenSet<'a>, MAX_CONNECTION_TOKENS>,
    /// The document this was read from; its unknown top-level members (e.g. keys added by a
    /// `before_session_saved` hook) are written back.
    pub raw: Option<Object<'a>>,
}

/// A session read from a JWT payload, with the payload's time claims.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Opened<'a> {
    /// The session.
    pub session: Session<'a>,
    /// The payload's `exp`.
    pub exp: Option<i64>,
}

impl<'a> Session<'a> {
    /// This session as a cookie session's `__session` payload holds it: without its
    /// connection token sets (they go in `__FC_<i>` cookies).
    pub fn without_connection_tokens(&self) -> Session<'a> {
        Session {
            connection_token_sets: heapless::Vec::new(),
            ..self.clone()
        }
    }

    /// A session for `user` with `token_set`, created at `now`.
    pub fn new(
        user: Object<'a>,
        token_set: TokenSet<'a>,
        sid: Option<JsonStr<'a>>,
        now: UnixTime,
    ) -> Self {
        Session {
            user,
            token_set,
            access_tokens: heapless::Vec::new(),
            connection_token_sets: heapless::Vec::new(),
            internal: Internal {
                sid,
                created_at: Some(now),
                session_expires_at: None,
                raw: None,
            },
            raw: None,
        }
    }

    /// Reads a session from its JSON (a decrypted cookie payload, or a store record).
    ///
    /// `user` and `tokenSet` must be objects; everything else is optional.
    pub fn parse(json: &'a str) -> Result<Opened<'a>, Error> {
        Self::parse_nbf(json).map(|(o, _)| o)
    }

    /// [`Session::parse`], also returning the payload's `nbf`; one pass over the text.
    pub(super) fn parse_nbf(json: &'a str) -> Result<(Opened<'a>, Option<i64>), Error> {
        let mut b = Builder::default();
        let doc = Object::parse_each(json, |k, v| b.member(k, v))?;
        b.finish(doc)
    }

    /// Like [`Session::parse`] for a parsed object.
    pub fn from_object(doc: Object<'a>) -> Result<Opened<'a>, Error> {
        let mut b = Builder::default();
        for (k, v) in doc.members() {
            b.member(k, v)?;
        }
        b.finish(doc).map(|(o, _)| o)
    }

    /// Writes the session's JSON with `exp` as the last member (or without `exp`).
    pub fn write_json(&self, w: &mut Writer<'_>, exp: Option<i64>) -> Result<(), Error> {
        self.write(w, |o| put_num(o, "exp", exp))
    }

    /// Writes the session's JSON as a cookie session's `__session` payload holds it: without
    /// its connection token sets (as [`Session::without_connection_tokens`] would, without
    /// copying the session), with `exp` as the last member.
    pub fn write_cookie_json(&self, w: &mut Writer<'_>, exp: Option<i64>) -> Result<(), Error> {
        CookiePayload(self).write(w, |o| put_num(o, "exp", exp))
    }

    /// Where `exp`'s value starts in `text`, when `text` is byte for byte what
    /// [`Session::write_cookie_json`] writes for this session with `exp` (its `exp` last, then
    /// `}`): a later write with another expiry then only changes what follows, so a roll can
    /// re-seal `text`'s first part with a new `exp` without writing the session again
    /// ([`crate::flow::Auth0::roll_cookie`]). `buf` is scratch room, at least `text.len()`
    /// bytes; `None` when the text is written otherwise (member order, spacing, escapes,
    /// members a cookie payload leaves out) or does not fit.
    pub fn cookie_json_exp_at(&self, text: &str, exp: i64, buf: &mut [u8]) -> Option<usize> {
        let mut w = Writer::new(buf, "session JSON");
        self.write_cookie_json(&mut w, Some(exp)).ok()?;
        if w.as_bytes() != text.as_bytes() {
            return None;
        }
        let mut digits = [0u8; 20];
        let exp = crate::codec::buf::decimal(u64::try_from(exp).ok()?, &mut digits);
        let at = text.len().checked_sub(exp.len() + 1)?;
        let tail = text.get(at..)?;
        (tail.strip_suffix('}') == Some(exp)).then_some(at)
    }

    /// Writes the session's JSON into `buf` and returns it.
    pub fn to_json<'b>(&self, buf: &'b mut [u8], exp: Option<i64>) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "session JSON");
        self.write_json(&mut w, exp)?;
        Ok(w.into_str())
    }

    /// Seals the session with `exp` as a cookie session's `__session` value (without its
    /// connection token sets): writes its JSON into `buf`, encrypts it, and returns the
    /// compact JWE (which also lives in `buf`). `buf` needs about 2.4 × the JSON's size.
    pub fn seal<'b>(
        &self,
        key: &jwe::Key,
        rng: &mut impl CryptoRngCore,
        exp: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        let capacity = buf.len();
        let mut w = Writer::new(buf, "session");
        // The cookie's payload: connection token sets go in their own cookies.
        self.write_cookie_json(&mut w, Some(exp))?;
        let (plaintext, out) = w.into_parts();
        jwe::seal(key, rng, plaintext, out).map_err(|e| match e {
            Error::BufferTooSmall { .. } => Error::BufferTooSmall {
                what: "session",
                capacity,
            },
            e => e,
        })
    }
}

/// Collects a session's members as they are read.
#[derive(Default)]
struct Builder<'a> {
    user: Option<Object<'a>>,
    token_set: Option<TokenSet<'a>>,
    access_tokens: heapless::Vec<AccessToken<'a>, MAX_ACCESS_TOKENS>,
    connection_token_sets: heapless::Vec<ConnectionTokenSet<'a>, MAX_CONNECTION_TOKENS>,
    internal: Internal<'a>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

impl<'a> Builder<'a> {
    fn member(&mut self, k: JsonStr<'a>, v: Value<'a>) -> Result<(), Error> {
        let field = |name| SessionError::InvalidField(name);
        match k.as_str().unwrap_or("") {
            "user" => self.user = Some(v.as_object().ok_or(field("user"))?),
            "tokenSet" => {
                self.token_set = Some(TokenSet::parse(v.as_object().ok_or(field("tokenSet"))?)?)
            }
            "accessTokens" => {
                let a = v.as_array().ok_or(field("accessTokens"))?;
                self.access_tokens.clear();
                for e in a.iter() {
                    let o = e.as_object().ok_or(field("accessTokens"))?;
                    self.access_tokens
                        .push(AccessToken::parse(o)?)
                        .map_err(|_| SessionError::TooManyAccessTokens)?;
                }
            }
            "internal" => self.internal = Internal::parse(v.as_object().ok_or(field("internal"))?)?,
            "connectionTokenSets" => {
                let a = v.as_array().ok_or(field("connectionTokenSets"))?;
                self.connection_token_sets.clear();
                for e in a.iter() {
                    let o = e.as_object().ok_or(field("connectionTokenSets"))?;
                    self.connection_token_sets
                        .push(ConnectionTokenSet::from_object(o)?)
                        .map_err(|_| SessionError::TooManyConnectionTokens)?;
                }
            }
            "exp" => self.exp = num(v),
            "nbf" => self.nbf = num(v),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, doc: Object<'a>) -> Result<(Opened<'a>, Option<i64>), Error> {
        let opened = Opened {
            session: Session {
                user: self.user.ok_or(SessionError::MissingField("user"))?,
                token_set: self
                    .token_set
                    .ok_or(SessionError::MissingField("tokenSet"))?,
                access_tokens: self.access_tokens,
                connection_token_sets: self.connection_token_sets,
                internal: self.internal,
                raw: Some(doc),
            },
            exp: self.exp,
        };
        Ok((opened, self.nbf))
    }
}

/// A session as its cookie payload: every member but `connectionTokenSets`.
struct CookiePayload<'s, 'a>(&'s Session<'a>);

impl Document for CookiePayload<'_, '_> {
    const KEYS: &'static [&'static str] = Session::KEYS;

    fn raw(&self) -> Object<'_> {
        self.0.raw()
    }

    fn known(&self) -> Option<&str> {
        self.0.known()
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            4 => Ok(()),
            _ => self.0.write_known(i, o),
        }
    }
}

impl Document for Session<'_> {
    const KEYS: &'static [&'static str] = &[
        "user",
        "tokenSet",
        "accessTokens",
        "internal",
        "connectionTokenSets",
        "exp",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn known(&self) -> Option<&str> {
        Some(self.user.raw())
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => o.raw("user", self.user.raw()),
            1 => {
                let w = o.key("tokenSet")?;
                self.token_set.write(w, |_| Ok(()))
            }
            2 if !self.access_tokens.is_empty() => {
                let w = o.key("accessTokens")?;
                w.push_ascii(b'[')?;
                for (n, t) in self.access_tokens.iter().enumerate() {
                    if n > 0 {
                        w.push_ascii(b',')?;
                    }
                    t.write(w, |_| Ok(()))?;
                }
                w.push_ascii(b']')
            }
            3 => {
                let w = o.key("internal")?;
                self.internal.write(w, |_| Ok(()))
            }
            4 if !self.connection_token_sets.is_empty() => {
                let w = o.key("connectionTokenSets")?;
                w.push_ascii(b'[')?;
                for (n, t) in self.connection_token_sets.iter().enumerate() {
                    if n > 0 {
                        w.push_ascii(b',')?;
                    }
                    t.write_json(w, None)?;
                }
                w.push_ascii(b']')
            }
            // `accessTokens` and `connectionTokenSets` when empty, and `exp`, which the caller
            // appends last.
            _ => Ok(()),
        }
    }
}

/// The members a session document has beyond the SDK's: not one of these.
pub const KNOWN_MEMBERS: [&str; 6] = [
    "user",
    "tokenSet",
    "accessTokens",
    "internal",
    "connectionTokenSets",
    "exp",
];

/// Writes a session template with `extra`'s members: the SDK's members as `null` placeholders
/// (the typed values replace them when the session is written), then the extra members, so a
/// [`Session`] whose `raw` is this template is written in the SDK's order (`user`,
/// `tokenSet`, `accessTokens`, `internal`, extras, `exp`). Members of `extra` named like the
/// SDK's are left out.
pub fn write_template(w: &mut Writer<'_>, extra: &Object<'_>) -> Result<(), Error> {
    let mut o = ObjectWriter::begin(w)?;
    for k in ["user", "tokenSet", "accessTokens", "internal"] {
        o.raw(k, "null")?;
    }
    for (k, v) in extra.members() {
        if !KNOWN_MEMBERS.iter().any(|n| k == *n) {
            o.member(k, v)?;
        }
    }
    o.end()
}
