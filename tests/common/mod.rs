//! Shared harness of the flow tests, around the devices of `auth0_edge::testing` (the scripted
//! transport, the fake provider, the manual clock): owned replies built from JSON values, a
//! memory session store with sid/sub indexes, and a browser cookie jar.
#![allow(dead_code, clippy::type_complexity, clippy::result_large_err)]

use auth0_edge::codec::buf::Writer;
use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::flow::{Auth0, Handled};
use auth0_edge::http::Request;
use auth0_edge::jose::jwe;
use auth0_edge::runtime::{
    FixedClock, LogoutTarget, MemoryCache, RecordInfo, SessionStore, StoreError, TransportError,
};
use auth0_edge::session;
use auth0_edge::testing::{self, FakeProvider, ManualClock};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

pub const NOW: i64 = 1_800_000_000;
pub const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
pub const ISSUER: &str = "https://t.example.com/";
pub const APP: &str = "https://app.example.com";

pub use auth0_edge::testing::Sent;

pub fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

pub fn decode(s: &str) -> String {
    let mut buf = vec![0u8; s.len() * 3 + 8];
    auth0_edge::codec::form::decode_component(s, &mut buf)
        .unwrap()
        .to_string()
}

/// What the scripted transport answers (owned, so tests can build replies from JSON values).
pub enum Step {
    Reply {
        status: u16,
        headers: String,
        body: Vec<u8>,
    },
    Fail(TransportError),
}

pub fn json_reply(status: u16, body: &Value) -> Step {
    Step::Reply {
        status,
        headers: "Content-Type: application/json".into(),
        body: body.to_string().into_bytes(),
    }
}

/// The scripted transport of the flow tests: `auth0_edge::testing::Script`, shared with the
/// test through an `Rc`.
pub type Script = Rc<testing::Script<'static>>;

/// `Script::expect` with an owned [`Step`].
pub trait ExpectStep {
    fn expect(&self, method: &'static str, url: &str, check: impl Fn(&Sent) + 'static, step: Step);
}

impl ExpectStep for Script {
    fn expect(&self, method: &'static str, url: &str, check: impl Fn(&Sent) + 'static, step: Step) {
        let reply = match &step {
            Step::Reply {
                status,
                headers,
                body,
            } => testing::Reply::Answer {
                status: *status,
                headers,
                body,
            },
            Step::Fail(e) => testing::Reply::Fail(*e),
        };
        testing::Script::expect(self, method, url, check, reply);
    }
}

/// The test's clock, shared with the flows.
pub type TestClock = Rc<ManualClock>;

/// A session store in a map, with sid/sub indexes.
#[derive(Clone, Default)]
pub struct MemStore {
    pub records: Rc<RefCell<HashMap<String, (String, Option<String>, Option<String>)>>>,
    /// The logout tokens seen (their replay keys), with when they may be forgotten.
    pub logout_tokens: Rc<RefCell<HashMap<Vec<u8>, i64>>>,
}

impl SessionStore for MemStore {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        match self.records.borrow().get(id) {
            None => Ok(None),
            Some((json, _, _)) => {
                let b = json.as_bytes();
                let dst = buf.get_mut(..b.len()).ok_or(StoreError::TooLarge)?;
                dst.copy_from_slice(b);
                Ok(Some(dst))
            }
        }
    }
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        self.records.borrow_mut().insert(
            id.into(),
            (
                json.into(),
                info.sid.map(Into::into),
                info.sub.map(Into::into),
            ),
        );
        Ok(())
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.records.borrow_mut().remove(id);
        Ok(())
    }
    async fn remember_logout_token(
        &self,
        key: &auth0_edge::oauth::logout_token::ReplayKey,
        until: i64,
    ) -> Result<bool, StoreError> {
        let mut seen = self.logout_tokens.borrow_mut();
        if seen.contains_key(key.as_bytes().as_slice()) {
            return Ok(false);
        }
        seen.insert(key.as_bytes().to_vec(), until);
        Ok(true)
    }
    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        let (sid, sub) = (target.sid(), target.sub());
        self.records.borrow_mut().retain(|_, (_, s, u)| {
            !(sid.is_some() && s.as_deref() == sid || sub.is_some() && u.as_deref() == sub)
        });
        Ok(())
    }
}

/// A fake OpenID provider (`auth0_edge::testing::FakeProvider`), with its metadata and JWKS as
/// JSON values tests can change.
pub struct Provider {
    pub fake: FakeProvider,
    pub ec_kid: String,
    pub metadata: Value,
}

impl Provider {
    pub fn new() -> Self {
        let fake = FakeProvider::new(
            "t.example.com",
            "client-1",
            FixedClock(NOW),
            &mut rand_core::OsRng,
        );
        let mut buf = vec![0u8; 4096];
        let mut w = Writer::new(&mut buf, "metadata");
        fake.write_metadata(&mut w).unwrap();
        let metadata = serde_json::from_str(w.as_str()).unwrap();
        Provider {
            fake,
            ec_kid: testing::EC_KID.into(),
            metadata,
        }
    }

    pub fn jwks(&self) -> Value {
        let mut buf = vec![0u8; 4096];
        let mut w = Writer::new(&mut buf, "jwks");
        self.fake.write_jwks(&mut w).unwrap();
        serde_json::from_str(w.as_str()).unwrap()
    }

    /// Standard ID token claims for `nonce`, merged with `extra`.
    pub fn claims(&self, nonce: &str, extra: Value) -> Value {
        let mut buf = vec![0u8; 4096];
        let mut w = Writer::new(&mut buf, "claims");
        self.fake
            .write_id_token_claims(&mut w, Some(nonce))
            .unwrap();
        let mut c: Value = serde_json::from_str(w.as_str()).unwrap();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    pub fn sign_es256(&self, claims: &Value, kid: &str) -> String {
        let claims = claims.to_string();
        let mut out = vec![0u8; claims.len() * 2 + 1024];
        self.fake
            .sign_es256(&claims, kid, &mut out)
            .unwrap()
            .to_string()
    }

    /// An ES256 logout token: `typ` `logout+jwt`, as Back-Channel Logout 1.0 recommends.
    pub fn sign_logout_es256(&self, claims: &Value) -> String {
        let claims = claims.to_string();
        let mut out = vec![0u8; claims.len() * 2 + 1024];
        self.fake
            .sign_es256_typed(&claims, &self.ec_kid, Some("logout+jwt"), &mut out)
            .unwrap()
            .to_string()
    }

    pub fn sign_rs256(&self, claims: &Value) -> String {
        let claims = claims.to_string();
        let mut out = vec![0u8; claims.len() * 2 + 1024];
        self.fake.sign_rs256(&claims, &mut out).unwrap().to_string()
    }
}

pub fn config() -> Config<'static> {
    Config {
        secret: SECRET,
        ..Config::new(
            "t.example.com",
            "client-1",
            ClientAuth::SecretPost("client-secret"),
            APP,
        )
    }
}

pub type Client<S = auth0_edge::runtime::NoStore, H = auth0_edge::flow::DefaultHooks> =
    Auth0<'static, Script, TestClock, MemoryCache<16384>, S, H>;

pub fn client(config: Config<'static>) -> (Client, Script, TestClock) {
    let script = Script::default();
    let clock = Rc::new(ManualClock::new(NOW));
    let auth0 = Auth0::new(config, script.clone(), clock.clone(), MemoryCache::new()).unwrap();
    (auth0, script, clock)
}

/// An owned copy of a flow response.
#[derive(Clone, Debug)]
pub struct Res {
    pub status: u16,
    pub warning: Option<&'static str>,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub next: bool,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "Set-Cookie")
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn location_params(&self) -> (String, Vec<(String, String)>) {
        let loc = self.header("Location").expect("Location");
        let (base, q) = loc.split_once('?').unwrap_or((loc, ""));
        (base.to_string(), form_pairs(q))
    }
}

pub fn own(r: auth0_edge::http::Response<'_>, next: bool) -> Res {
    Res {
        status: r.status,
        warning: r.warning,
        headers: r
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: r.body_str().to_string(),
        next,
    }
}

/// Runs `auth0.handle` for `GET path_and_query` with a Cookie header and extra headers.
pub fn request<S: SessionStore, H: auth0_edge::flow::Hooks>(
    auth0: &Auth0<'static, Script, TestClock, MemoryCache<16384>, S, H>,
    path_and_query: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> Result<Res, auth0_edge::flow::AuthError> {
    let mut headers: Vec<(&str, &str)> = vec![("cookie", cookie)];
    headers.extend_from_slice(extra);
    let h: &[(&str, &str)] = &headers;
    let req = Request::get(path_and_query, &h);
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let out = testing::block_on(auth0.handle(&req, &mut rand_core::OsRng, &mut buf))?;
    Ok(match out {
        Handled::Response(r) => own(r, false),
        Handled::Next(r) => own(r, true),
        _ => unreachable!(),
    })
}

/// Runs `auth0.handle` for `POST path` with a form body.
pub fn post<S: SessionStore, H: auth0_edge::flow::Hooks>(
    auth0: &Auth0<'static, Script, TestClock, MemoryCache<16384>, S, H>,
    path: &str,
    body: &str,
) -> Result<Res, auth0_edge::flow::AuthError> {
    let h: &[(&str, &str)] = &[("content-type", "application/x-www-form-urlencoded")];
    let req = Request {
        method: "POST",
        body: body.as_bytes(),
        ..Request::get(path, &h)
    };
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let out = testing::block_on(auth0.handle(&req, &mut rand_core::OsRng, &mut buf))?;
    Ok(match out {
        Handled::Response(r) => own(r, false),
        Handled::Next(r) => own(r, true),
        _ => unreachable!(),
    })
}

/// A browser's cookie jar.
#[derive(Default, Clone, Debug)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    pub fn apply(&mut self, res: &Res) {
        for line in res.set_cookies() {
            let pair = line.split("; ").next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if line.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.into(), value.into());
            }
        }
    }
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

/// Expects discovery (and then the JWKS when `jwks` is set).
pub fn expect_discovery(script: &Script, p: &Provider) {
    script.expect(
        "GET",
        "https://t.example.com/.well-known/openid-configuration",
        |_| {},
        json_reply(200, &p.metadata),
    );
}

pub fn expect_jwks(script: &Script, p: &Provider) {
    script.expect(
        "GET",
        "https://t.example.com/.well-known/jwks.json",
        |_| {},
        json_reply(200, &p.jwks()),
    );
}

// ---------------------------------------------------------------------------------------------
// Flows driven end to end through the script
// ---------------------------------------------------------------------------------------------

/// Logs in: returns the jar holding the transaction cookie, the `state` and `nonce` sent.
pub fn login(
    auth0: &Client<impl auth0_edge::runtime::SessionStore, impl auth0_edge::flow::Hooks>,
    script: &Script,
    p: &Provider,
    query: &str,
    jar: &mut Jar,
    discovery: bool,
) -> (String, String, Res) {
    if discovery {
        expect_discovery(script, p);
    }
    let r = request(auth0, &format!("/auth/login{query}"), &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    let (_, params) = r.location_params();
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    (get("state"), get("nonce"), r)
}

/// Runs the callback route with `query` and the jar's cookies.
pub fn callback<S: auth0_edge::runtime::SessionStore, H: auth0_edge::flow::Hooks>(
    auth0: &Client<S, H>,
    query: &str,
    jar: &Jar,
) -> Res {
    request(
        auth0,
        &format!("/auth/callback?{query}"),
        &jar.header(),
        &[],
    )
    .unwrap()
}

/// Scripts a successful code exchange answering with `tokens`.
pub fn expect_token(script: &Script, tokens: Value, check: impl Fn(&Sent) + 'static) {
    script.expect(
        "POST",
        "https://t.example.com/oauth/token",
        check,
        json_reply(200, &tokens),
    );
}

pub fn open_session(jar: &Jar) -> Value {
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let opened = session::open(&jar.header(), "__session", &key, NOW, &mut buf).unwrap();
    let mut out = vec![0u8; 64 * 1024];
    serde_json::from_str(opened.session.to_json(&mut out, None).unwrap()).unwrap()
}

/// A full login: returns the jar with the session cookie.
pub fn signed_in(auth0: &Client, script: &Script, p: &Provider, tokens_extra: Value) -> Jar {
    let mut jar = Jar::default();
    let (state, nonce, _) = login(auth0, script, p, "?returnTo=%2Fdashboard", &mut jar, true);
    let mut tokens = json!({"access_token": "at-1", "refresh_token": "rt-1", "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile email offline_access",
        "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))});
    for (k, v) in tokens_extra.as_object().unwrap() {
        tokens[k] = v.clone();
    }
    expect_token(script, tokens, |_| {});
    expect_jwks(script, p);
    let r = callback(
        auth0,
        &format!("code=abc&state={state}&iss=https%3A%2F%2Ft.example.com%2F"),
        &jar,
    );
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    jar
}
