//! [`FakeProvider`]: an OpenID provider in memory, with real keys and real checks.
//!
//! It has an ES256 key (generated) and an RS256 key (RFC 7515 appendix A.2), publishes them
//! in a JWKS, and serves its discovery document. Its documents and signed ID tokens can feed a
//! [`super::Script`]; or it can answer the flows itself as a [`Transport`]: the authorization
//! endpoint ([`FakeProvider::authorize`], standing in for the browser's visit) issues a code
//! for the login's `state`, `nonce` and PKCE challenge, and the token endpoint checks that
//! code, the `code_verifier` and the refresh tokens it issued (rotating them), and signs ID
//! tokens for the login's `nonce`.

use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::form::{decode_component, query_get};
use crate::codec::json::ObjectWriter;
use crate::http::{OutgoingRequest, ResponseHead};
use crate::jose::jwk::EcKeyPair;
use crate::jose::jws::{self, Algorithm};
use crate::oauth::pkce;
use crate::runtime::{Clock, FixedClock, Transport, TransportError};
use crate::{Error, UnixTime};
use core::cell::RefCell;
use rand_core::CryptoRngCore;

/// The `kid` of the provider's ES256 key.
pub const EC_KID: &str = "ec-1";
/// The `kid` of the provider's RS256 key.
pub const RSA_KID: &str = "rsa-1";
/// The `sub` of the provider's one user.
pub const SUB: &str = "auth0|user_1";
/// The `sid` of the provider's session.
pub const SID: &str = "sid-1";

/// RFC 7515 A.2's RSA modulus (base64url).
const RSA_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
/// RFC 7515 A.2's private exponent (base64url). A published test key: never use it for
/// anything but tests.
const RSA_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";

type Text<const N: usize> = heapless::String<N>;

/// A login the authorization endpoint accepted, waiting for its code to be exchanged.
struct Pending {
    code: u32,
    nonce: Text<64>,
    code_challenge: Text<64>,
    redirect_uri: Text<256>,
}

struct State {
    alg: Algorithm,
    expires_in: i64,
    rotate_refresh_tokens: bool,
    pending: heapless::Vec<Pending, 4>,
    /// The refresh token that is valid now (one user, one grant).
    refresh_token: Text<32>,
    issued: u32,
    token_requests: u32,
}

/// An OpenID provider in memory; see the module documentation.
pub struct FakeProvider<C = FixedClock> {
    origin: Text<128>,
    client_id: Text<64>,
    ec: EcKeyPair,
    clock: C,
    state: RefCell<State>,
}

impl<C: Clock> FakeProvider<C> {
    /// A provider at `domain` (a host, meaning `https://`, or an origin) for the client
    /// `client_id`, telling time by `clock`; `rng` makes its ES256 key.
    ///
    /// Panics if `domain` is longer than 120 bytes or `client_id` than 64.
    pub fn new(domain: &str, client_id: &str, clock: C, rng: &mut impl CryptoRngCore) -> Self {
        let mut origin = Text::new();
        let domain = domain.trim_end_matches('/');
        if !domain.starts_with("https://") && !domain.starts_with("http://") {
            let _ = origin.push_str("https://");
        }
        assert!(origin.push_str(domain).is_ok(), "domain too long");
        FakeProvider {
            origin,
            client_id: Text::try_from(client_id).expect("client_id too long"),
            ec: EcKeyPair::generate(rng),
            clock,
            state: RefCell::new(State {
                alg: Algorithm::RS256,
                expires_in: 3600,
                rotate_refresh_tokens: true,
                pending: heapless::Vec::new(),
                refresh_token: Text::new(),
                issued: 0,
                token_requests: 0,
            }),
        }
    }

    /// The provider's ES256 key pair.
    pub fn ec_key(&self) -> &EcKeyPair {
        &self.ec
    }

    /// The clock the provider tells time by.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The origin, `https://<domain>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Signs the ID tokens of the token endpoint with `alg` (RS256 or ES256; RS256 at first).
    pub fn set_id_token_alg(&self, alg: Algorithm) {
        self.state.borrow_mut().alg = alg;
    }

    /// Sets the `expires_in` of issued access tokens (3600 at first).
    pub fn set_expires_in(&self, secs: i64) {
        self.state.borrow_mut().expires_in = secs;
    }

    /// Whether a refresh issues a new refresh token and revokes the old one (true at first).
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.state.borrow_mut().rotate_refresh_tokens = rotate;
    }

    /// How many requests reached the token endpoint.
    pub fn token_requests(&self) -> u32 {
        self.state.borrow().token_requests
    }

    fn push_url(&self, w: &mut Writer<'_>, path: &str) -> Result<(), Error> {
        w.push_str(&self.origin)?;
        w.push_str(path)
    }

    /// Writes the discovery document: `issuer` (the origin with a trailing slash), the
    /// authorization, token, revocation, userinfo and end-session endpoints, the JWKS URI,
    /// RS256 and ES256 ID tokens, and one member no client knows.
    pub fn write_metadata(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        let mut url = [0u8; 256];
        let mut o = ObjectWriter::begin(w)?;
        for (name, path) in [
            ("issuer", "/"),
            ("authorization_endpoint", "/authorize"),
            ("token_endpoint", "/oauth/token"),
            ("jwks_uri", "/.well-known/jwks.json"),
            ("end_session_endpoint", "/oidc/logout"),
            ("revocation_endpoint", "/oauth/revoke"),
            ("userinfo_endpoint", "/userinfo"),
        ] {
            let mut u = Writer::new(&mut url, "url");
            self.push_url(&mut u, path)?;
            o.str(name, u.as_str())?;
        }
        o.raw(
            "id_token_signing_alg_values_supported",
            r#"["RS256","ES256"]"#,
        )?;
        o.raw("unknown_member", r#"{"kept":true}"#)?;
        o.end()
    }

    /// Writes the JWKS: the RS256 key (`kid` [`RSA_KID`]) then the ES256 key ([`EC_KID`]).
    pub fn write_jwks(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.push_str(r#"{"keys":[{"kty":"RSA","kid":""#)?;
        w.push_str(RSA_KID)?;
        w.push_str(r#"","alg":"RS256","use":"sig","n":""#)?;
        w.push_str(RSA_N)?;
        w.push_str(r#"","e":"AQAB"},{"kid":""#)?;
        w.push_str(EC_KID)?;
        w.push_str(r#"","use":"sig","#)?;
        let mut jwk = [0u8; 256];
        let mut jw = Writer::new(&mut jwk, "jwk");
        self.ec.public_key().write_jwk(&mut jw)?;
        // The JWK's members, without its opening brace.
        w.push_str(jw.as_str().get(1..).unwrap_or("}"))?;
        w.push_str("]}")
    }

    /// Signs `claims` (a JSON object) as an ES256 JWT with `kid` in the header.
    pub fn sign_es256<'b>(
        &self,
        claims: &str,
        kid: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        self.sign_es256_typed(claims, kid, Some("JWT"), buf)
    }

    /// Signs `claims` as an ES256 JWS with `kid` and `typ` (left out when `None`) in the
    /// header: `Some("logout+jwt")` for a logout token, `Some("dpop+jwt")` for a proof.
    pub fn sign_es256_typed<'b>(
        &self,
        claims: &str,
        kid: &str,
        typ: Option<&str>,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        let mut header = [0u8; 160];
        let mut hw = Writer::new(&mut header, "JWT header");
        let mut o = ObjectWriter::begin(&mut hw)?;
        o.str("alg", "ES256")?;
        if let Some(typ) = typ {
            o.str("typ", typ)?;
        }
        o.str("kid", kid)?;
        o.end()?;
        jws::sign_es256(self.ec.signing_key(), hw.as_bytes(), claims.as_bytes(), buf)
    }

    /// Signs `claims` (a JSON object) as an RS256 JWT with `kid` [`RSA_KID`].
    pub fn sign_rs256<'b>(&self, claims: &str, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "JWT");
        w.push_base64url(br#"{"alg":"RS256","kid":"rsa-1"}"#)?;
        w.push_ascii(b'.')?;
        w.push_base64url(claims.as_bytes())?;
        let mut n = [0u8; 256];
        let mut d = [0u8; 256];
        let (n, d) = match (
            base64url::decode(RSA_N, &mut n),
            base64url::decode(RSA_D, &mut d),
        ) {
            (Ok(n), Ok(d)) => (&*n, &*d),
            _ => return Err(crate::JwkError::InvalidParameter { name: "n" }.into()),
        };
        let mut sig = [0u8; 256];
        crate::jose::rsa::sign_pkcs1v15_sha256_2048(n, d, w.as_bytes(), &mut sig)
            .ok_or(crate::JwkError::InvalidParameter { name: "d" })?;
        w.push_ascii(b'.')?;
        w.push_base64url(&sig)?;
        Ok(w.into_str())
    }

    /// Writes the claims of an ID token for the provider's user: `iss`, `sub` ([`SUB`]),
    /// `aud`, `iat` now, `exp` ten hours later, `nonce` when given, `sid` ([`SID`]), `name`,
    /// `email`, `email_verified`, and a custom `https://example.com/roles` claim.
    pub fn write_id_token_claims(
        &self,
        w: &mut Writer<'_>,
        nonce: Option<&str>,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        let mut iss = [0u8; 160];
        let mut iw = Writer::new(&mut iss, "issuer");
        self.push_url(&mut iw, "/")?;
        let mut o = ObjectWriter::begin(w)?;
        o.str("iss", iw.as_str())?;
        o.str("sub", SUB)?;
        o.str("aud", &self.client_id)?;
        o.i64("iat", now)?;
        o.i64("exp", now.saturating_add(36_000))?;
        if let Some(n) = nonce {
            o.str("nonce", n)?;
        }
        o.str("sid", SID)?;
        o.str("name", "Zoë")?;
        o.str("email", "zoe@example.com")?;
        o.bool("email_verified", true)?;
        o.raw("https://example.com/roles", r#"["admin"]"#)?;
        o.end()
    }

    fn id_token<'b>(&self, nonce: Option<&str>, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut claims = [0u8; 512];
        let mut cw = Writer::new(&mut claims, "ID token claims");
        self.write_id_token_claims(&mut cw, nonce)?;
        let alg = self.state.borrow().alg;
        match alg {
            Algorithm::ES256 => self.sign_es256(cw.as_str(), EC_KID, buf),
            _ => self.sign_rs256(cw.as_str(), buf),
        }
    }

    /// The authorization endpoint, as the browser's visit would reach it: checks the
    /// authorization URL a login redirected to (this provider's endpoint, this client,
    /// `response_type=code`, PKCE `S256`, a `state` and a `nonce`), keeps the login, and writes
    /// the callback's query, `code=…&state=…&iss=…`, into `buf`. A refusal says why.
    pub fn authorize<'b>(&self, url: &str, buf: &'b mut [u8]) -> Result<&'b str, &'static str> {
        let (endpoint, query) = url
            .split_once('?')
            .ok_or("the authorization URL has no query")?;
        if endpoint.strip_prefix(self.origin.as_str()) != Some("/authorize") {
            return Err("not this provider's authorization endpoint");
        }
        fn value<'o>(
            query: &str,
            name: &'static str,
            out: &'o mut [u8],
        ) -> Result<&'o str, &'static str> {
            decode_component(query_get(query, name).ok_or(name)?, out).map_err(|_| name)
        }
        let mut tmp = [[0u8; 256]; 6];
        let [a, b, c, d, e, f] = &mut tmp;
        if value(query, "client_id", a)? != self.client_id.as_str() {
            return Err("client_id is not this provider's client");
        }
        if value(query, "response_type", b)? != "code"
            || value(query, "code_challenge_method", c)? != "S256"
        {
            return Err("response_type must be code and code_challenge_method S256");
        }
        let state = value(query, "state", d)?;
        let nonce = value(query, "nonce", e)?;
        let challenge = value(query, "code_challenge", f)?;
        let mut redirect = [0u8; 256];
        let redirect_uri = value(query, "redirect_uri", &mut redirect)?;
        let mut st = self.state.borrow_mut();
        st.issued += 1;
        let code = st.issued;
        if st.pending.is_full() {
            st.pending.remove(0);
        }
        let pending = Pending {
            code,
            nonce: Text::try_from(nonce).map_err(|_| "nonce too long")?,
            code_challenge: Text::try_from(challenge).map_err(|_| "code_challenge too long")?,
            redirect_uri: Text::try_from(redirect_uri).map_err(|_| "redirect_uri too long")?,
        };
        let _ = st.pending.push(pending);
        let mut w = Writer::new(buf, "callback query");
        let written = (|| {
            w.push_str("code=c-")?;
            w.push_u64(u64::from(code))?;
            let mut f = crate::codec::form::FormWriter::new(&mut w, '&');
            f.pair("state", state)?;
            let mut iss = [0u8; 160];
            let mut iw = Writer::new(&mut iss, "issuer");
            self.push_url(&mut iw, "/")?;
            f.pair("iss", iw.as_str())
        })();
        written.map_err(|_| "the callback query does not fit the buffer")?;
        Ok(w.into_str())
    }

    /// The token endpoint: writes the JSON answer to a form `body` into `w`; returns the status.
    fn token_endpoint(&self, body: &str, w: &mut Writer<'_>) -> Result<u16, Error> {
        self.state.borrow_mut().token_requests += 1;
        let mut v = [[0u8; 512]; 3];
        let [a, b, c] = &mut v;
        let field = |name: &str, out: &mut [u8; 512]| -> Option<heapless::String<512>> {
            let raw = query_get(body, name)?;
            decode_component(raw, out)
                .ok()
                .and_then(|s| heapless::String::try_from(s).ok())
        };
        let grant_type = field("grant_type", a);
        let refused = |w: &mut Writer<'_>, error: &str, description: &str| -> Result<u16, Error> {
            let mut o = ObjectWriter::begin(w)?;
            o.str("error", error)?;
            o.str("error_description", description)?;
            o.end()?;
            Ok(400)
        };
        let nonce: Option<Text<64>> = match grant_type.as_deref() {
            Some("authorization_code") => {
                let code = field("code", b).unwrap_or_default();
                let verifier = field("code_verifier", c).unwrap_or_default();
                let code_number = code.strip_prefix("c-").and_then(|n| n.parse::<u32>().ok());
                let mut st = self.state.borrow_mut();
                let Some(i) = st.pending.iter().position(|p| Some(p.code) == code_number) else {
                    drop(st);
                    return refused(w, "invalid_grant", "Invalid authorization code");
                };
                let p = st.pending.remove(i);
                drop(st);
                let mut redirect = [0u8; 512];
                let redirect_ok = query_get(body, "redirect_uri")
                    .and_then(|r| decode_component(r, &mut redirect).ok())
                    == Some(p.redirect_uri.as_str());
                if !redirect_ok {
                    return refused(w, "invalid_grant", "redirect_uri mismatch");
                }
                if pkce::challenge(&verifier).as_str() != p.code_challenge.as_str() {
                    return refused(w, "invalid_grant", "PKCE verification failed");
                }
                Some(p.nonce)
            }
            Some("refresh_token") => {
                let rt = field("refresh_token", b).unwrap_or_default();
                let st = self.state.borrow();
                if st.refresh_token.is_empty() || st.refresh_token.as_str() != rt.as_str() {
                    drop(st);
                    return refused(w, "invalid_grant", "Unknown or invalid refresh token.");
                }
                None
            }
            _ => return refused(w, "unsupported_grant_type", "grant_type is not supported"),
        };
        let refresh = grant_type.as_deref() == Some("refresh_token");
        let mut idt = [0u8; 2048];
        let id_token = self.id_token(nonce.as_deref(), &mut idt)?;
        let mut st = self.state.borrow_mut();
        st.issued += 1;
        let n = st.issued;
        let new_rt = !refresh || st.rotate_refresh_tokens;
        if new_rt {
            st.refresh_token.clear();
            let mut tmp = [0u8; 24];
            let mut tw = Writer::new(&mut tmp, "refresh token");
            tw.push_str("rt-")?;
            tw.push_u64(u64::from(n))?;
            let _ = st.refresh_token.push_str(tw.as_str());
        }
        let mut o = ObjectWriter::begin(w)?;
        let mut at = [0u8; 24];
        let mut aw = Writer::new(&mut at, "access token");
        aw.push_str("at-")?;
        aw.push_u64(u64::from(n))?;
        o.str("access_token", aw.as_str())?;
        o.str("id_token", id_token)?;
        if new_rt {
            o.str("refresh_token", &st.refresh_token)?;
        }
        o.str("token_type", "Bearer")?;
        o.i64("expires_in", st.expires_in)?;
        o.str("scope", crate::config::DEFAULT_SCOPES)?;
        o.end()?;
        Ok(200)
    }

    /// The issued refresh token that is valid now, if any.
    pub fn refresh_token(&self) -> Text<32> {
        self.state.borrow().refresh_token.clone()
    }

    /// The time the provider sees.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }
}

impl<C: Clock> Transport for FakeProvider<C> {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        const HEADERS: &str = "Content-Type: application/json";
        let head = buf
            .get_mut(..HEADERS.len())
            .ok_or(TransportError::ResponseTooLarge)?;
        head.copy_from_slice(HEADERS.as_bytes());
        let mut w = Writer::new(&mut buf[HEADERS.len()..], "fake provider response");
        let path = req.url.strip_prefix(self.origin.as_str()).unwrap_or("");
        let body = core::str::from_utf8(req.body).unwrap_or("");
        let status = match (req.method, path) {
            ("GET", "/.well-known/openid-configuration") => {
                self.write_metadata(&mut w).map(|_| 200)
            }
            ("GET", "/.well-known/jwks.json") => self.write_jwks(&mut w).map(|_| 200),
            ("POST", "/oauth/token") => self.token_endpoint(body, &mut w),
            ("POST", "/oauth/revoke") => w.push_str("{}").map(|_| 200),
            _ => w.push_str(r#"{"error":"not_found"}"#).map(|_| 404),
        };
        let status = status.map_err(|_| TransportError::ResponseTooLarge)?;
        Ok(ResponseHead {
            status,
            headers_len: HEADERS.len(),
            body_len: w.len(),
        })
    }
}
