//! `auth0-edge`: inspect and make the cookies, PKCE pairs, DPoP keys and proofs, and JWTs that
//! `@auth0/nextjs-auth0` v4 and auth0-edge share. Exit status 0 on success; 1 with a one-line
//! reason on stderr otherwise.

use auth0_edge::cookie::CookieOptions;
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, Jwks};
use auth0_edge::jose::jws::Algorithm;
use auth0_edge::jose::jwt::{self, Validation};
use auth0_edge::oauth::dpop::{Dpop, Request};
use auth0_edge::oauth::pkce;
use auth0_edge::session::{self, Durations, Session};
use auth0_edge::{CookieError, Error, JsonError, JweError, SessionError};
use rand_core::OsRng;
use std::io::Read;
use std::process::ExitCode;

const USAGE: &str = "usage:
  auth0-edge cookie open [--name NAME]            Cookie header or bare value on stdin, AUTH0_SECRET in env
  auth0-edge cookie seal [--name NAME] [--max-age SECONDS]   session JSON on stdin
  auth0-edge pkce                                  a code_verifier and its S256 code_challenge
  auth0-edge dpop keygen                           an ES256 key pair: PKCS#8 then SPKI PEM
  auth0-edge dpop proof --htm METHOD --htu URL [--ath ACCESS_TOKEN] [--nonce NONCE]
                                                   keys in AUTH0_DPOP_PRIVATE_KEY / AUTH0_DPOP_PUBLIC_KEY
  auth0-edge jwt verify --jwks FILE [--iss ISS] [--aud AUD] [--alg ALG]...   JWT on stdin
  auth0-edge ciba --login-hint SUB [--binding-message MSG] [--scope SCOPE] [--audience AUD]
                                                   backchannel authentication (CIBA); AUTH0_DOMAIN,
                                                   AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET (or the
                                                   assertion key) in env; prints the tokens as JSON";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("auth0-edge: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line.
fn report(e: &dyn std::error::Error) -> String {
    auth0_edge::Report(e).to_string()
}

/// Parsed `--flag value` options.
struct Options<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Options<'a> {
    fn parse(args: &'a [String], allowed: &[&str]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if !allowed.contains(&flag.as_str()) {
                return Err(format!(
                    "unknown argument `{flag}`; see `auth0-edge --help`"
                ));
            }
            let value = it.next().ok_or(format!("{flag} needs a value"))?;
            pairs.push((flag.as_str(), value.as_str()));
        }
        Ok(Options { pairs })
    }

    fn get(&self, flag: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    fn all<'s>(&'s self, flag: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.pairs
            .iter()
            .filter(move |(f, _)| *f == flag)
            .map(|(_, v)| *v)
    }

    fn require(&self, flag: &str) -> Result<&'a str, String> {
        self.get(flag).ok_or(format!("{flag} is required"))
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["cookie", "open", ..] => cookie_open(&Options::parse(&args[2..], &["--name"])?),
        ["cookie", "seal", ..] => {
            cookie_seal(&Options::parse(&args[2..], &["--name", "--max-age"])?)
        }
        ["pkce"] => {
            let p = pkce::Pkce::generate(&mut OsRng);
            Ok(format!("{}\n{}\n", p.code_verifier, p.code_challenge))
        }
        ["dpop", "keygen"] => {
            let pair = EcKeyPair::generate(&mut OsRng);
            Ok(format!("{}{}", pair.private_pem(), pair.public_pem()))
        }
        ["dpop", "proof", ..] => dpop_proof(&Options::parse(
            &args[2..],
            &["--htm", "--htu", "--ath", "--nonce"],
        )?),
        ["jwt", "verify", ..] => jwt_verify(&Options::parse(
            &args[2..],
            &["--jwks", "--iss", "--aud", "--alg"],
        )?),
        ["ciba", ..] => ciba(&Options::parse(
            &args[1..],
            &["--login-hint", "--binding-message", "--scope", "--audience"],
        )?),
        ["--help"] | ["-h"] | ["help"] => Ok(format!("{USAGE}\n")),
        _ => Err(format!("unknown command; see `auth0-edge --help`\n{USAGE}")),
    }
}

fn stdin() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    Ok(s.trim().to_string())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn key() -> Result<jwe::Key, String> {
    jwe::Key::from_secret(&env("AUTH0_SECRET")?).map_err(|e| report(&e))
}

/// A one-line reason for a cookie that cannot be opened.
fn open_reason(e: Error) -> String {
    match e {
        Error::Jwe(JweError::Decryption) => {
            "wrong secret or tampered: the cookie does not decrypt with AUTH0_SECRET".into()
        }
        Error::Jwe(JweError::Expired) | Error::Session(SessionError::Expired) => {
            "expired: the session is past its exp; sign in again".into()
        }
        Error::Cookie(CookieError::MissingChunk { index }) => {
            format!(
                "missing chunk: __session__{index} is not in the header, so the chunks cannot be joined"
            )
        }
        Error::Cookie(CookieError::NotFound) => {
            "not a session cookie: no such cookie in the header".into()
        }
        Error::Jwe(_) | Error::Json(_) | Error::Session(_) => {
            format!("not a session cookie: {}", report(&e))
        }
        e => report(&e),
    }
}

fn cookie_open(o: &Options<'_>) -> Result<String, String> {
    let name = o.get("--name").unwrap_or(session::DEFAULT_COOKIE_NAME);
    let input = stdin()?;
    let input = input
        .strip_prefix("Cookie:")
        .or(input.strip_prefix("cookie:"))
        .unwrap_or(&input)
        .trim();
    // A JWE has no `=`: a bare value is taken as the one cookie of that name.
    let header = if input.contains('=') {
        input.to_string()
    } else {
        format!("{name}={input}")
    };
    let key = key()?;
    let mut buf = vec![0u8; header.len() * 2 + 1024];
    let opened = session::open(&header, name, &key, now(), &mut buf).map_err(open_reason)?;
    let mut out = vec![0u8; header.len() * 2 + 1024];
    let json = opened
        .session
        .to_json(&mut out, None)
        .map_err(|e| report(&e))?;
    Ok(format!("{json}\n"))
}

fn cookie_seal(o: &Options<'_>) -> Result<String, String> {
    let name = o.get("--name").unwrap_or(session::DEFAULT_COOKIE_NAME);
    if !auth0_edge::cookie::is_valid_name(name) {
        return Err(format!("--name `{name}` is not a valid cookie name"));
    }
    let json = stdin()?;
    let key = key()?;
    let opened = Session::parse(&json).map_err(|e| match e {
        Error::Json(JsonError::Syntax { offset }) => {
            format!("stdin is not JSON (syntax error at byte {offset})")
        }
        e => format!("not a session document: {}", report(&e)),
    })?;
    let now = now();
    let max_age = match o.get("--max-age") {
        Some(m) => m
            .parse::<u64>()
            .map_err(|_| format!("--max-age `{m}` is not a number of seconds"))?,
        None => Durations::default().max_age(opened.session.internal.created_at.or(Some(now)), now),
    };
    let mut buf = vec![0u8; json.len() * 3 + 1024];
    let sealed = opened
        .session
        .seal(&key, &mut OsRng, now + max_age as i64, &mut buf)
        .map_err(|e| report(&e))?;
    let opts = CookieOptions::default();
    let mut out = String::new();
    for c in session::set_cookies(name, sealed, &opts, max_age, now, "").map_err(|e| report(&e))? {
        out.push_str(&c.to_string());
        out.push('\n');
    }
    Ok(out)
}

fn dpop_proof(o: &Options<'_>) -> Result<String, String> {
    let private = env("AUTH0_DPOP_PRIVATE_KEY")?;
    let public = std::env::var("AUTH0_DPOP_PUBLIC_KEY").ok();
    let pair = EcKeyPair::from_pem(&private, public.as_deref()).map_err(|e| {
        format!(
            "AUTH0_DPOP_PRIVATE_KEY/AUTH0_DPOP_PUBLIC_KEY: {}",
            report(&e)
        )
    })?;
    let dpop = Dpop::new(pair);
    let req = Request {
        htm: o.require("--htm")?,
        htu: o.require("--htu")?,
        nonce: o.get("--nonce"),
        access_token: o.get("--ath"),
    };
    let mut out = [0u8; 2048];
    let proof = dpop
        .proof(&req, now(), &mut OsRng, &mut out)
        .map_err(|e| report(&e))?;
    Ok(format!("{proof}\n"))
}

fn jwt_verify(o: &Options<'_>) -> Result<String, String> {
    let path = o.require("--jwks")?;
    let jwks_text =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let jwks = Jwks::parse(&jwks_text).map_err(|e| format!("{path}: {}", report(&e)))?;
    let mut algs = Vec::new();
    for a in o.all("--alg") {
        algs.push(Algorithm::parse(a).map_err(|e| format!("--alg {a}: {}", report(&e)))?);
    }
    if algs.is_empty() {
        algs = vec![Algorithm::RS256, Algorithm::ES256];
    }
    let token = stdin()?;
    let v = Validation {
        algorithms: &algs,
        issuer: o.get("--iss"),
        audience: o.get("--aud"),
        leeway: 0,
        required: &[],
    };
    let mut buf = vec![0u8; token.len() + 64];
    let verified =
        jwt::verify_with_jwks(&token, &jwks, &v, now(), &mut buf).map_err(|e| report(&e))?;
    Ok(format!("{}\n", verified.claims.raw()))
}

/// `ciba`: a backchannel authentication for `--login-hint`, waiting for the user's decision;
/// prints `{"tokenSet":{…},"idTokenClaims":{…}}`.
#[cfg(feature = "tokio")]
fn ciba(o: &Options<'_>) -> Result<String, String> {
    use auth0_edge::flow::{AuthError, BackchannelOptions};
    let login_hint = o.require("--login-hint")?;
    // No session is made: the cookie secret and the base URL are not used, so any will do.
    let placeholder = pkce::Token::random(&mut OsRng).to_string();
    let config = auth0_edge::config::OwnedConfig::from_lookup(|k| {
        std::env::var(k).ok().or_else(|| match k {
            "AUTH0_SECRET" => Some(format!("{placeholder}{placeholder}")),
            "APP_BASE_URL" => Some("http://localhost:3000".into()),
            _ => None,
        })
    })
    .map_err(|e| report(&e))?;
    let client = auth0_edge::tokio::Auth0Client::builder(config)
        .build()
        .map_err(|e| report(&e))?;
    let mut params: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = o.get("--scope") {
        params.push(("scope", s));
    }
    if let Some(a) = o.get("--audience") {
        params.push(("audience", a));
    }
    let options = BackchannelOptions {
        login_hint_sub: login_hint,
        binding_message: o.get("--binding-message").unwrap_or("auth0-edge"),
        authorization_params: &params,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let core = client.core();
    let t = runtime
        .block_on(core.get_token_by_backchannel_auth(&options, &mut OsRng, &mut buf))
        .map_err(|e| match &e {
            AuthError::Backchannel(f) => format!("ciba: {}: {}", f.error_code(), report(&e)),
            _ => format!("ciba: {}: {}", e.code(), report(&e)),
        })?;
    let mut out = vec![0u8; 64 * 1024];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut out, "output");
    let written = (|| {
        w.push_str("{\"tokenSet\":")?;
        // The SDK's result: accessToken, idToken, scope, refreshToken, expiresAt.
        let ts = auth0_edge::session::TokenSet {
            token_type: None,
            ..t.token_set
        };
        ts.write_json(&mut w)?;
        w.push_str(",\"idTokenClaims\":")?;
        w.push_str(t.id_token_claims.raw())?;
        w.push_str("}\n")
    })();
    written.map_err(|e| report(&e))?;
    Ok(w.as_str().to_string())
}

#[cfg(not(feature = "tokio"))]
fn ciba(_: &Options<'_>) -> Result<String, String> {
    Err("ciba needs the tokio feature: cargo install auth0-edge --features tokio".into())
}
