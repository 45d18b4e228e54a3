//! A `#![no_std]` binary with **no global allocator** and `panic = "abort"` that links the
//! auth0-edge core and runs its primitives. If anything in the core's dependency tree needed
//! `alloc`, this would fail to link ("no global memory allocator found").
//!
//! Build and run (from the repository root):
//! `cargo build -p auth0-edge-nostd --profile nostd && target/nostd/auth0-edge-nostd`
//! Exit status 0 means every check passed; otherwise the status is the number of the first
//! failed check.
#![no_std]
#![no_main]

use auth0_edge::codec::json::Object;
use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::cookie::{CookieOptions, chunk};
use auth0_edge::flow::{
    AccessTokenOptions, Auth0, BackchannelOptions, ConnectionTokenOptions, Handled,
};
use auth0_edge::http::Request;
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, Jwk};
use auth0_edge::jose::jws::{self, Algorithm};
use auth0_edge::oauth::dpop;
use auth0_edge::oauth::pkce;
use auth0_edge::runtime::MemoryCache;
use auth0_edge::session::{self, Session, TokenSet};
use auth0_edge::testing::{FakeProvider, Jar, ManualClock, block_on};
use core::panic::PanicInfo;
use rand_core::{CryptoRng, RngCore};

// Link the C library for the process entry point (`__libc_start_main` calls `main`) and
// `abort`; nothing of Rust's `std` or `alloc`.
#[link(name = "c")]
unsafe extern "C" {
    safe fn abort() -> !;
    safe fn write(fd: i32, buf: *const u8, n: usize) -> isize;
}

#[panic_handler]
fn panic(_: &PanicInfo<'_>) -> ! {
    abort()
}

/// The precompiled `core` references the unwinding personality routine even under
/// `panic = "abort"`; with aborting panics it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// A deterministic generator for this check only (not for real keys).
struct CheckRng(u64);

impl RngCore for CheckRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand_core::impls::fill_bytes_via_next(self, dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
impl CryptoRng for CheckRng {}

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
const NOW: i64 = 1_800_000_000;
/// RFC 7515 appendix A.2.
const RS256_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const RS256_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/// Login, callback, access token (valid, then refreshed) and logout against the fake
/// provider of `auth0_edge::testing`, with no heap: the provider checks the login's PKCE
/// verifier and signs an ES256 ID token for its nonce; the refresh rotates the refresh token.
fn flows(rng: &mut CheckRng) -> i32 {
    let clock = ManualClock::new(NOW);
    let provider = FakeProvider::new("t.example.com", "cid", &clock, rng);
    provider.set_id_token_alg(Algorithm::ES256);
    provider.set_expires_in(60);
    let config = Config {
        secret: SECRET,
        ..Config::new(
            "t.example.com",
            "cid",
            ClientAuth::SecretPost("s"),
            "https://app.example.com",
        )
    };
    let Ok(auth0) = Auth0::new(config, &provider, &clock, MemoryCache::<4096>::new()) else {
        return 31;
    };
    let mut work = [0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let mut jar: Jar<8192> = Jar::new();

    // Login.
    let no_headers: [(&str, &str); 0] = [];
    let req = Request::get("/auth/login?returnTo=%2Fhome", &no_headers);
    let Ok(Handled::Response(res)) = block_on(auth0.handle(&req, rng, &mut work)) else {
        return 32;
    };
    if res.status != 307 {
        return 33;
    }
    jar.apply(&res);
    let mut query = [0u8; 512];
    let Ok(query) = provider.authorize(res.header("Location").unwrap_or(""), &mut query) else {
        return 34;
    };

    // Callback.
    let mut path = heapless::String::<640>::new();
    let _ = path.push_str("/auth/callback?");
    let _ = path.push_str(query);
    let cookie = [("cookie", jar.header())];
    let req = Request::get(&path, &cookie);
    let Ok(Handled::Response(res)) = block_on(auth0.handle(&req, rng, &mut work)) else {
        return 37;
    };
    if res.status != 307 || res.header("Location") != Some("https://app.example.com/home") {
        return 38;
    }
    jar.apply(&res);
    if jar.get("__session").is_none() {
        return 39;
    }

    // Access token: valid, then refreshed (forced), with the rotated refresh token kept.
    let mut tok_buf = [0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let Ok(t) = block_on(auth0.get_access_token(
        jar.header(),
        &AccessTokenOptions::default(),
        rng,
        &mut tok_buf,
    )) else {
        return 40;
    };
    if t.token != "at-2" {
        return 41;
    }
    let before = provider.token_requests();
    let opts = AccessTokenOptions {
        refresh: true,
        ..AccessTokenOptions::default()
    };
    let Ok(t) = block_on(auth0.get_access_token(jar.header(), &opts, rng, &mut tok_buf)) else {
        return 42;
    };
    if t.token != "at-3"
        || t.token_type != Some("bearer")
        || provider.token_requests() != before + 1
    {
        return 43;
    }
    jar.apply(&t.headers);

    // A connection access token: the fake provider has no token exchange, so the exchange is
    // refused with the SDK's code.
    let opts = ConnectionTokenOptions {
        connection: "google-oauth2",
        ..ConnectionTokenOptions::default()
    };
    match block_on(auth0.get_access_token_for_connection(jar.header(), &opts, rng, &mut tok_buf)) {
        Err(e) if e.code() == "failed_to_exchange_refresh_token" => {}
        _ => return 46,
    }
    // CIBA: the fake provider has no back-channel authentication endpoint.
    let ciba = BackchannelOptions {
        login_hint_sub: "auth0|user_1",
        binding_message: "kiosk 7",
        ..BackchannelOptions::default()
    };
    match block_on(auth0.get_token_by_backchannel_auth(&ciba, rng, &mut tok_buf)) {
        Err(e) if e.code() == "backchannel_authentication_not_supported_error" => {}
        _ => return 47,
    }
    // Back-channel logout without a store: the SDK's 500.
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let req = Request {
        method: "POST",
        body: b"logout_token=a.b.c",
        ..Request::get("/auth/backchannel-logout", &form)
    };
    match block_on(auth0.handle(&req, rng, &mut work)) {
        Ok(Handled::Response(res)) if res.status == 500 => {}
        _ => return 48,
    }

    // Logout.
    let cookie = [("cookie", jar.header())];
    let req = Request::get("/auth/logout", &cookie);
    let Ok(Handled::Response(res)) = block_on(auth0.handle(&req, rng, &mut work)) else {
        return 44;
    };
    if res.status != 307
        || !res
            .header("Location")
            .unwrap_or("")
            .starts_with("https://t.example.com/oidc/logout?client_id=cid")
    {
        return 45;
    }
    0
}

/// Runs every check; returns the number of the first that failed, or 0.
fn checks() -> i32 {
    let mut rng = CheckRng(42);
    let Ok(key) = jwe::Key::from_secret(SECRET) else {
        return 1;
    };

    // Session seal → Set-Cookie (chunked) → Cookie header → open.
    let mut user_buf = [0u8; 8192];
    let user = {
        let mut w = auth0_edge::codec::buf::Writer::new(&mut user_buf, "user");
        let mut o = match auth0_edge::codec::json::ObjectWriter::begin(&mut w) {
            Ok(o) => o,
            Err(_) => return 2,
        };
        let _ = o.str("sub", "user_123");
        let mut name = [0u8; 8];
        for i in 0..120u8 {
            name[..2].copy_from_slice(b"c_");
            name[2] = b'a' + i / 26 % 26;
            name[3] = b'a' + i % 26;
            let key = core::str::from_utf8(&name[..4]).unwrap_or("c");
            let _ = o.str(key, "a value that makes the session need chunks ");
        }
        if o.end().is_err() {
            return 3;
        }
        w.into_str()
    };
    let Ok(user) = Object::parse(user) else {
        return 4;
    };
    let ts = TokenSet {
        access_token: Some("at".into()),
        expires_at: Some(NOW + 60),
        ..TokenSet::default()
    };
    let s = Session::new(user, ts, Some("sid".into()), NOW);
    let mut sealed_buf = [0u8; 24 * 1024];
    let Ok(sealed) = s.seal(&key, &mut rng, NOW + 3600, &mut sealed_buf) else {
        return 5;
    };
    let opts = CookieOptions::default();
    let Ok(cookies) = session::set_cookies("__session", sealed, &opts, 3600, NOW, "") else {
        return 6;
    };
    // Build the Cookie header a browser would send back from the non-deletion cookies.
    let mut header_buf = [0u8; 16 * 1024];
    let mut header = auth0_edge::codec::buf::Writer::new(&mut header_buf, "header");
    let mut chunks = 0;
    for c in cookies.filter(|c| !c.is_deletion()) {
        let mut line = [0u8; 4096];
        let Ok(line) = c.write_into(&mut line) else {
            return 7;
        };
        let pair = line.split("; ").next().unwrap_or("");
        if !header.is_empty() && header.push_str("; ").is_err() {
            return 8;
        }
        if header.push_str(pair).is_err() {
            return 8;
        }
        chunks += 1;
    }
    if chunks < 2 {
        return 9;
    }
    let mut open_buf = [0u8; 24 * 1024];
    let Ok(opened) = session::open(header.as_str(), "__session", &key, NOW, &mut open_buf) else {
        return 10;
    };
    if opened
        .session
        .user
        .get_str("sub")
        .is_none_or(|s| s != "user_123")
    {
        return 11;
    }

    // Chunk split and join directly.
    let mut join_buf = [0u8; 16 * 1024];
    match chunk::join(header.as_str(), "__session", &mut join_buf) {
        Ok(v) if v == sealed => {}
        _ => return 12,
    }

    // PKCE.
    let p = pkce::Pkce::generate(&mut rng);
    if pkce::challenge(p.code_verifier.as_str()) != p.code_challenge {
        return 13;
    }

    // ES256 sign and verify; DPoP proof.
    let pair = EcKeyPair::generate(&mut rng);
    let mut jws_buf = [0u8; 512];
    let Ok(token) = jws::sign_es256(
        pair.signing_key(),
        br#"{"alg":"ES256"}"#,
        b"{}",
        &mut jws_buf,
    ) else {
        return 14;
    };
    let mut vbuf = [0u8; 256];
    let public = pair.public_key();
    if jws::verify(token, public.as_jws_key(), &[Algorithm::ES256], &mut vbuf).is_err() {
        return 15;
    }
    let dpop = dpop::Dpop::new(pair);
    let mut proof = [0u8; 1024];
    let req = dpop::Request {
        htm: "POST",
        htu: "https://tenant.example/oauth/token",
        ..Default::default()
    };
    if dpop.proof(&req, NOW, &mut rng, &mut proof).is_err() {
        return 16;
    }

    // RS256 verify (RFC 7515 A.2).
    let mut jwk_buf = [0u8; 600];
    let jwk_text = {
        let mut w = auth0_edge::codec::buf::Writer::new(&mut jwk_buf, "jwk");
        let ok = w.push_str(r#"{"kty":"RSA","e":"AQAB","n":""#).is_ok()
            && w.push_str(RS256_N).is_ok()
            && w.push_str(r#""}"#).is_ok();
        if !ok {
            return 17;
        }
        w.into_str()
    };
    let Ok(jwk) = Jwk::parse(jwk_text) else {
        return 18;
    };
    let Ok(rsa) = jwk.public_key() else { return 19 };
    let mut rbuf = [0u8; 512];
    if jws::verify(RS256_JWS, rsa.as_jws_key(), &[Algorithm::RS256], &mut rbuf).is_err() {
        return 20;
    }
    flows(&mut rng)
}

#[unsafe(no_mangle)]
extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    let failed = checks();
    let msg: &[u8] = if failed == 0 {
        b"no-alloc core: all checks passed\n"
    } else {
        b"no-alloc core: a check failed\n"
    };
    write(2, msg.as_ptr(), msg.len());
    failed
}
