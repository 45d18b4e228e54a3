//! Shared test harness for the flows: a scripted `Transport` that asserts each outgoing request
//! and returns canned responses, a fake OpenID provider that signs ID tokens (ES256 and RS256),
//! a settable clock, a memory session store, and a browser cookie jar.
#![allow(dead_code, clippy::type_complexity, clippy::result_large_err)]

use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::discovery::MemoryCache;
use auth0_edge::flow::{Auth0, Handled};
use auth0_edge::http::{Clock, OutgoingRequest, Request, ResponseHead, Transport, TransportError};
use auth0_edge::jwk::EcKeyPair;
use auth0_edge::store::{RecordInfo, SessionStore, StoreError};
use auth0_edge::{base64url, buf::Writer, jws};
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

pub const NOW: i64 = 1_800_000_000;
pub const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
pub const ISSUER: &str = "https://t.example.com/";
pub const APP: &str = "https://app.example.com";

/// A request the flows sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The form body as ordered pairs (decoded).
    pub fn form(&self) -> Vec<(String, String)> {
        form_pairs(&self.body)
    }
}

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
    auth0_edge::url::decode_component(s, &mut buf)
        .unwrap()
        .to_string()
}

/// What the scripted transport answers.
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

struct Expect {
    method: &'static str,
    url: String,
    check: Box<dyn Fn(&Sent)>,
    step: Step,
}

/// A transport that asserts each outgoing request against a script.
#[derive(Clone, Default)]
pub struct Script {
    expects: Rc<RefCell<VecDeque<Expect>>>,
    pub sent: Rc<RefCell<Vec<Sent>>>,
}

impl Script {
    /// Expects a request `method url`, checked by `check`, answered by `step`.
    pub fn expect(
        &self,
        method: &'static str,
        url: &str,
        check: impl Fn(&Sent) + 'static,
        step: Step,
    ) {
        self.expects.borrow_mut().push_back(Expect {
            method,
            url: url.to_string(),
            check: Box::new(check),
            step,
        });
    }

    /// Asserts that every expected request was made.
    pub fn done(&self) {
        let left: Vec<String> = self
            .expects
            .borrow()
            .iter()
            .map(|e| format!("{} {}", e.method, e.url))
            .collect();
        assert!(left.is_empty(), "expected requests not made: {left:?}");
    }

    pub fn count(&self) -> usize {
        self.sent.borrow().len()
    }

    pub fn last(&self) -> Sent {
        self.sent.borrow().last().cloned().expect("a request")
    }
}

impl Transport for Script {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        let sent = Sent {
            method: req.method.to_string(),
            url: req.url.to_string(),
            headers: req
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: String::from_utf8(req.body.to_vec()).unwrap(),
        };
        self.sent.borrow_mut().push(sent.clone());
        let e = self
            .expects
            .borrow_mut()
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected request {} {}", sent.method, sent.url));
        assert_eq!(
            (sent.method.as_str(), sent.url.as_str()),
            (e.method, e.url.as_str()),
            "request order"
        );
        (e.check)(&sent);
        match e.step {
            Step::Fail(err) => Err(err),
            Step::Reply {
                status,
                headers,
                body,
            } => {
                let h = headers.as_bytes();
                if h.len() + body.len() > buf.len() {
                    return Err(TransportError::ResponseTooLarge);
                }
                buf[..h.len()].copy_from_slice(h);
                buf[h.len()..h.len() + body.len()].copy_from_slice(&body);
                Ok(ResponseHead {
                    status,
                    headers_len: h.len(),
                    body_len: body.len(),
                })
            }
        }
    }
}

/// A clock the test moves.
#[derive(Clone)]
pub struct TestClock(pub Rc<Cell<i64>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Rc::new(Cell::new(NOW)))
    }
    pub fn advance(&self, secs: i64) {
        self.0.set(self.0.get() + secs);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.get()
    }
}

/// A session store in a map, with sid/sub indexes.
#[derive(Clone, Default)]
pub struct MemStore {
    pub records: Rc<RefCell<HashMap<String, (String, Option<String>, Option<String>)>>>,
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
    async fn delete_by_logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Result<(), StoreError> {
        self.records.borrow_mut().retain(|_, (_, s, u)| {
            !(sid.is_some() && s.as_deref() == sid || sub.is_some() && u.as_deref() == sub)
        });
        Ok(())
    }
}

/// RFC 7515 appendix A.2's RSA key, for RS256 ID tokens.
fn rsa_key() -> rsa::RsaPrivateKey {
    let v: Value = serde_json::from_str(include_str!("../vectors/rfc7515.json")).unwrap();
    let n = b64(v["a2_rs256"]["jwk"]["n"].as_str().unwrap());
    // d, p, q of RFC 7515 A.2.
    let d = b64(
        "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
    );
    let p = b64(
        "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
    );
    let q = b64(
        "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
    );
    use rsa::BigUint;
    rsa::RsaPrivateKey::from_components(
        BigUint::from_bytes_be(&n),
        BigUint::from_bytes_be(&[1, 0, 1]),
        BigUint::from_bytes_be(&d),
        vec![BigUint::from_bytes_be(&p), BigUint::from_bytes_be(&q)],
    )
    .unwrap()
}

fn b64(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len()];
    let n = base64url::decode(s, &mut out).unwrap().len();
    out.truncate(n);
    out
}

fn b64e(b: &[u8]) -> String {
    let mut out = vec![0u8; b.len() * 2 + 4];
    base64url::encode(b, &mut out).unwrap().to_string()
}

/// A fake OpenID provider: metadata, JWKS and signed ID tokens.
pub struct Provider {
    pub ec: EcKeyPair,
    pub ec_kid: String,
    rsa: rsa::RsaPrivateKey,
    pub metadata: Value,
}

impl Provider {
    pub fn new() -> Self {
        Provider {
            ec: EcKeyPair::generate(&mut rand_core::OsRng),
            ec_kid: "ec-1".into(),
            rsa: rsa_key(),
            metadata: json!({
                "issuer": ISSUER,
                "authorization_endpoint": "https://t.example.com/authorize",
                "token_endpoint": "https://t.example.com/oauth/token",
                "jwks_uri": "https://t.example.com/.well-known/jwks.json",
                "end_session_endpoint": "https://t.example.com/oidc/logout",
                "revocation_endpoint": "https://t.example.com/oauth/revoke",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "unknown_member": {"kept": true}
            }),
        }
    }

    pub fn jwks(&self) -> Value {
        let mut buf = vec![0u8; 256];
        let mut w = Writer::new(&mut buf, "jwk");
        self.ec.public_key().write_jwk(&mut w).unwrap();
        let mut ec: Value = serde_json::from_str(w.as_str()).unwrap();
        ec["kid"] = json!(self.ec_kid);
        ec["use"] = json!("sig");
        let v: Value = serde_json::from_str(include_str!("../vectors/rfc7515.json")).unwrap();
        let mut rsa = v["a2_rs256"]["jwk"].clone();
        rsa["kid"] = json!("rsa-1");
        rsa["alg"] = json!("RS256");
        json!({"keys": [rsa, ec]})
    }

    /// Standard ID token claims for `nonce`, merged with `extra`.
    pub fn claims(&self, nonce: &str, extra: Value) -> Value {
        let mut c = json!({
            "iss": ISSUER, "sub": "auth0|user_1", "aud": "client-1", "iat": NOW, "exp": NOW + 36_000,
            "nonce": nonce, "sid": "sid-1", "name": "Zoë", "email": "zoe@example.com", "email_verified": true,
            "https://example.com/roles": ["admin"]
        });
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
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid}).to_string();
        let mut out = vec![0u8; 8192];
        jws::sign_es256(
            self.ec.signing_key(),
            header.as_bytes(),
            claims.to_string().as_bytes(),
            &mut out,
        )
        .unwrap()
        .to_string()
    }

    pub fn sign_rs256(&self, claims: &Value) -> String {
        use rsa::signature::{SignatureEncoding, Signer};
        let header = b64e(
            json!({"alg": "RS256", "kid": "rsa-1"})
                .to_string()
                .as_bytes(),
        );
        let payload = b64e(claims.to_string().as_bytes());
        let input = format!("{header}.{payload}");
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.rsa.clone());
        let sig = key.sign(input.as_bytes()).to_bytes();
        format!("{input}.{}", b64e(&sig))
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

pub type Client<S = auth0_edge::store::NoStore, H = auth0_edge::flow::DefaultHooks> =
    Auth0<'static, Script, TestClock, MemoryCache<16384>, S, H>;

pub fn client(config: Config<'static>) -> (Client, Script, TestClock) {
    let script = Script::default();
    let clock = TestClock::new();
    let auth0 = Auth0::new(config, script.clone(), clock.clone(), MemoryCache::new()).unwrap();
    (auth0, script, clock)
}

/// An owned copy of a flow response.
#[derive(Clone, Debug)]
pub struct Res {
    pub status: u16,
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
    let out = futures_executor::block_on(auth0.handle(&req, &mut rand_core::OsRng, &mut buf))?;
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
