//! The SDK's server features beyond sessions, through the core flows with a scripted
//! transport on virtual time: CIBA (`get_token_by_backchannel_auth`), back-channel logout,
//! connection access tokens, pushed authorization requests and the MFA step-up answer.

#![allow(clippy::result_large_err)]

mod common;

use auth0_edge::flow::{AuthError, BackchannelFailure, BackchannelOptions};
use auth0_edge::testing::block_on;
use common::*;
use serde_json::{Value, json};

const BC_ENDPOINT: &str = "https://t.example.com/bc-authorize";
const TOKEN: &str = "https://t.example.com/oauth/token";

fn ciba_provider() -> Provider {
    let mut p = Provider::new();
    p.metadata["backchannel_authentication_endpoint"] = json!(BC_ENDPOINT);
    p
}

fn ciba_error(status: u16, error: &str) -> Step {
    json_reply(
        status,
        &json!({"error": error, "error_description": format!("{error} said the provider")}),
    )
}

fn ciba_options() -> BackchannelOptions<'static> {
    BackchannelOptions {
        login_hint_sub: "auth0|kiosk-user",
        binding_message: "Sign in to kiosk 7",
        ..Default::default()
    }
}

fn run_ciba(auth0: &Client) -> Result<(Value, Value), AuthError> {
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let t = block_on(auth0.get_token_by_backchannel_auth(
        &ciba_options(),
        &mut rand_core::OsRng,
        &mut buf,
    ))?;
    let mut out = vec![0u8; 16 * 1024];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut out, "t");
    t.token_set.write_json(&mut w).unwrap();
    let ts: Value = serde_json::from_str(w.as_str()).unwrap();
    let claims: Value = serde_json::from_str(t.id_token_claims.raw()).unwrap();
    Ok((ts, claims))
}

#[test]
fn ciba_polls_on_virtual_time_through_pending_slow_down_and_retry_after() {
    let p = ciba_provider();
    let (auth0, script, clock) = client(config());
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        BC_ENDPOINT,
        |s| {
            let f = form_pairs(s.body);
            let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                names,
                [
                    "scope",
                    "client_id",
                    "binding_message",
                    "login_hint",
                    "client_secret"
                ],
                "{}",
                s.body
            );
            assert_eq!(
                f[3].1,
                r#"{"format":"iss_sub","iss":"https://t.example.com/","sub":"auth0|kiosk-user"}"#
            );
            assert!(
                s.header("DPoP").is_none(),
                "no proof on the authentication request"
            );
        },
        json_reply(
            200,
            &json!({"auth_req_id": "req-1", "expires_in": 120, "interval": 2}),
        ),
    );
    let poll_check = |s: &Sent| {
        let f = form_pairs(s.body);
        assert_eq!(f[0], ("auth_req_id".into(), "req-1".into()));
        assert_eq!(
            f[1],
            (
                "grant_type".into(),
                "urn:openid:params:grant-type:ciba".into()
            )
        );
    };
    script.expect(
        "POST",
        TOKEN,
        poll_check,
        ciba_error(400, "authorization_pending"),
    );
    script.expect("POST", TOKEN, poll_check, ciba_error(400, "slow_down"));
    script.expect(
        "POST",
        TOKEN,
        poll_check,
        Step::Reply {
            status: 503,
            headers: "Retry-After: 10".into(),
            body: Vec::new(),
        },
    );
    let mut claims = p.claims("unused", json!({"sub": "auth0|kiosk-user"}));
    claims.as_object_mut().unwrap().remove("nonce");
    let tokens = json!({"access_token": "at-ciba", "refresh_token": "rt-ciba", "token_type": "Bearer",
        "expires_in": 3600, "scope": "openid profile email offline_access", "id_token": p.sign_rs256(&claims)});
    expect_token(&script, tokens, poll_check);
    expect_jwks(&script, &p);
    let started = NOW;
    let (ts, claims) = run_ciba(&auth0).unwrap();
    script.done();
    // interval 2 → pending (2) → slow_down: interval 7 → 503 Retry-After 10: waited 10.
    assert_eq!((clock.sleeps(), clock.slept_millis()), (4, 21_000));
    assert_eq!(ts["accessToken"], "at-ciba");
    assert_eq!(ts["refreshToken"], "rt-ciba");
    assert_eq!(ts["expiresAt"], started + 21 + 3600);
    assert_eq!(claims["sub"], "auth0|kiosk-user");
}

#[test]
fn ciba_refusals_are_typed_with_the_providers_code() {
    for (error, code) in [
        ("access_denied", "access_denied"),
        ("unknown_user_id", "unknown_user_id"),
        ("expired_token", "expired_token"),
    ] {
        let p = ciba_provider();
        let (auth0, script, _clock) = client(config());
        expect_discovery(&script, &p);
        if error == "unknown_user_id" {
            // Refused at once by the authentication endpoint.
            script.expect("POST", BC_ENDPOINT, |_| {}, ciba_error(400, error));
        } else {
            script.expect(
                "POST",
                BC_ENDPOINT,
                |_| {},
                json_reply(200, &json!({"auth_req_id": "r", "expires_in": 60})),
            );
            script.expect("POST", TOKEN, |_| {}, ciba_error(400, error));
        }
        let e = run_ciba(&auth0).unwrap_err();
        script.done();
        let AuthError::Backchannel(f) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(f.error_code(), code);
        assert_eq!(e.code(), "backchannel_authentication_error");
        assert_eq!(
            e.message(),
            "There was an error when trying to use Client-Initiated Backchannel Authentication."
        );
        assert!(
            auth0_edge::Report(&e)
                .to_string()
                .contains(&format!("{error} said the provider")),
            "{}",
            auth0_edge::Report(&e)
        );
    }
}

#[test]
fn ciba_stops_at_expires_in_without_another_poll() {
    let p = ciba_provider();
    let (auth0, script, clock) = client(config());
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        BC_ENDPOINT,
        |_| {},
        json_reply(
            200,
            &json!({"auth_req_id": "r", "expires_in": 7, "interval": 3}),
        ),
    );
    // Polls at +3 and +6; the next would be at +9, past the deadline of +7.
    script.expect(
        "POST",
        TOKEN,
        |_| {},
        ciba_error(400, "authorization_pending"),
    );
    script.expect(
        "POST",
        TOKEN,
        |_| {},
        ciba_error(400, "authorization_pending"),
    );
    let e = run_ciba(&auth0).unwrap_err();
    script.done();
    assert_eq!(e, AuthError::Backchannel(BackchannelFailure::Expired));
    assert_eq!(clock.slept_millis(), 6_000);
    let AuthError::Backchannel(f) = &e else {
        unreachable!()
    };
    assert_eq!(f.error_code(), "expired_token");
}

#[test]
fn ciba_without_the_endpoint_is_not_supported() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    expect_discovery(&script, &p);
    let e = run_ciba(&auth0).unwrap_err();
    script.done();
    assert_eq!(e.code(), "backchannel_authentication_not_supported_error");
    assert!(
        e.message()
            .starts_with("The authorization server does not support backchannel authentication.")
    );
}
