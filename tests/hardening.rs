//! Hostile and edge input through the flows (no panic, bounded resources, clear answers),
//! faults that lose nothing, the protocol checks beyond the SDK, and SDK options that had no
//! test: each driven through the scripted transport and the fake provider.

mod common;

use auth0_edge::config::{
    AuthorizationParameters, Config, DpopConfig, LogoutStrategy, OwnedConfig, Pairs, Scope, Strs,
};
use auth0_edge::flow::{
    AccessTokenOptions, AuthError, CallbackContext, DiscoveryFailure, GrantFailure, Hooks,
    LoginOptions,
};
use auth0_edge::http::{Request, ResponseBuilder};
use auth0_edge::oauth::discovery::MetadataError;
use auth0_edge::oauth::id_token::IdTokenError;
use auth0_edge::runtime::{RecordInfo, SessionStore, StoreError};
use auth0_edge::session::Session;
use common::*;
use serde_json::{Value, json};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Completes a login whose transaction is in `jar` and returns the callback's response (the
/// JWKS is fetched by the first login of a client; later ones read it from the cache).
#[allow(clippy::too_many_arguments)]
fn finish_login(
    auth0: &Client<impl SessionStore, impl Hooks>,
    script: &Script,
    p: &Provider,
    state: &str,
    nonce: &str,
    extra_tokens: Value,
    extra_claims: Value,
    jar: &Jar,
) -> Res {
    let mut tokens = json!({"access_token": "at-1", "refresh_token": "rt-1", "token_type": "Bearer",
        "expires_in": 3600, "id_token": p.sign_rs256(&p.claims(nonce, extra_claims))});
    for (k, v) in extra_tokens.as_object().unwrap() {
        tokens[k] = v.clone();
    }
    expect_token(script, tokens, |_| {});
    if script.count() == 1 {
        expect_jwks(script, p);
    }
    callback(auth0, &format!("code=c&state={state}"), jar)
}

#[test]
fn a_deep_return_to_falls_back_instead_of_panicking() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    // 140 segments: more than the 128 kept; the login still redirects, and the callback lands
    // on the fallback path.
    for (segments, expected) in [
        (140, "/".to_string()),
        (100, format!("/a{}", "/x".repeat(100))),
    ] {
        let mut jar = Jar::default();
        let rt = format!("%2Fa{}", "%2Fx".repeat(segments));
        let first = jar.0.is_empty() && segments == 140;
        let (state, nonce, _) = login(
            &auth0,
            &script,
            &p,
            &format!("?returnTo={rt}"),
            &mut jar,
            first,
        );
        let r = finish_login(
            &auth0,
            &script,
            &p,
            &state,
            &nonce,
            json!({}),
            json!({}),
            &jar,
        );
        assert_eq!(r.status, 307, "{r:?}");
        assert_eq!(
            r.header("Location"),
            Some(format!("{APP}{expected}").as_str())
        );
    }
    script.done();
}

#[test]
fn numbers_at_the_edges_saturate() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    // max_age = i64::MAX at login, auth_time far in the past, expires_in = i64::MAX.
    let (state, nonce, _) = login(
        &auth0,
        &script,
        &p,
        "?max_age=9223372036854775807",
        &mut jar,
        true,
    );
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &state,
        &nonce,
        json!({"expires_in": i64::MAX}),
        json!({"auth_time": NOW - 100}),
        &jar,
    );
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    assert_eq!(open_session(&jar)["tokenSet"]["expiresAt"], json!(i64::MAX));
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["expires_in"], json!(i64::MAX - NOW));
    // An ID token issued at the end of time is in the future; one that expired at its start
    // has expired: refused, not overflowed.
    for extra in [json!({"iat": i64::MAX}), json!({"exp": i64::MIN})] {
        let mut jar = Jar::default();
        let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, false);
        let r = finish_login(&auth0, &script, &p, &state, &nonce, json!({}), extra, &jar);
        assert_eq!(r.status, 500, "{r:?}");
    }
    script.done();
}

#[test]
fn a_hundred_kilobytes_of_other_cookies_do_not_hide_the_session() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({}));
    clock.advance(120); // due for a roll
    let others: Vec<String> = (0..1000)
        .map(|i| format!("tracker{i}={}", "v".repeat(96)))
        .collect();
    let header = format!(
        "{}; {}; {}",
        others[..500].join("; "),
        jar.header(),
        others[500..].join("; ")
    );
    assert!(header.len() > 100_000);
    let r = request(&auth0, "/dashboard", &header, &[]).unwrap();
    assert!(r.next);
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("__session=")),
        "the session was read and rolled: {r:?}"
    );
    let r = request(&auth0, "/auth/profile", &header, &[]).unwrap();
    assert_eq!(r.status, 200);
}

fn stale_transactions(n: usize, size: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "__txn_stale{i}={}%3A{}",
                NOW - 1000 + i as i64,
                "x".repeat(size)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn many_stale_transactions_still_log_in() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    for pair in stale_transactions(60, 500).split("; ") {
        let (k, v) = pair.split_once('=').unwrap();
        jar.0.insert(k.into(), v.into());
    }
    let (state, nonce, r) = login(&auth0, &script, &p, "", &mut jar, true);
    let evicted = r
        .set_cookies()
        .iter()
        .filter(|c| c.contains("Max-Age=0"))
        .count();
    assert!(evicted >= 50, "oldest transactions evicted: {evicted}");
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &state,
        &nonce,
        json!({}),
        json!({}),
        &jar,
    );
    assert_eq!(r.status, 307, "{r:?}");
}

#[test]
fn too_many_sdk_cookies_is_431_not_a_silent_logout() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({}));
    let header = format!("{}; {}", jar.header(), stale_transactions(80, 1000));
    for path in [
        "/dashboard",
        "/auth/login",
        "/auth/profile",
        "/auth/access-token",
    ] {
        let e = request(&auth0, path, &header, &[]).unwrap_err();
        assert!(
            matches!(e, AuthError::CookiesTooLarge { .. }),
            "{path}: {e:?}"
        );
        assert_eq!(e.status(), 431);
        assert!(e.message().contains("Clear this site's cookies"));
    }
}

#[test]
fn a_query_longer_than_8_kib_is_400() {
    let (auth0, _script, _) = client(config());
    let q = format!("?returnTo=%2F&x={}", "y".repeat(9000));
    for route in [
        "/auth/login",
        "/auth/callback",
        "/auth/logout",
        "/auth/access-token",
    ] {
        let e = request(&auth0, &format!("{route}{q}"), "", &[]).unwrap_err();
        assert!(matches!(e, AuthError::BadRequest(_)), "{route}: {e:?}");
        assert_eq!(e.status(), 400);
    }
}

/// A store that can go down.
#[derive(Clone, Default)]
struct Flaky {
    inner: MemStore,
    down: Rc<Cell<bool>>,
}

impl SessionStore for Flaky {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        if self.down.get() {
            return Err(StoreError::Unavailable);
        }
        self.inner.get(id, buf).await
    }
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        if self.down.get() {
            return Err(StoreError::Unavailable);
        }
        self.inner.set(id, json, info).await
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        if self.down.get() {
            return Err(StoreError::Unavailable);
        }
        self.inner.delete(id).await
    }
    async fn delete_by_logout_token(
        &self,
        target: &auth0_edge::runtime::LogoutTarget<'_>,
    ) -> Result<(), StoreError> {
        self.inner.delete_by_logout_token(target).await
    }
}

#[test]
fn logout_with_the_store_down_clears_every_cookie_and_says_so() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let store = Flaky::default();
    let auth0 = auth0.with_store(store.clone());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &state,
        &nonce,
        json!({}),
        json!({}),
        &jar,
    );
    jar.apply(&r);
    jar.0.insert("__txn_abandoned".into(), "1%3Ax".into());
    assert_eq!(store.inner.records.borrow().len(), 1);
    store.down.set(true);
    // A plain page goes on without its session.
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.next && r.set_cookies().is_empty());
    // Logout still clears everything, and reports the record it could not delete.
    let r = request(&auth0, "/auth/logout", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 307);
    jar.apply(&r);
    assert!(jar.0.is_empty(), "{:?}", jar.names());
    assert!(r.warning.unwrap().contains("could not be deleted"));
    assert_eq!(store.inner.records.borrow().len(), 1);
    script.done();
}

#[test]
fn a_refreshed_id_token_for_another_user_is_refused() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({}));
    clock.advance(3600);
    expect_discovery(&script, &p);
    let other = p.sign_rs256(&p.claims(
        "",
        json!({"sub": "auth0|someone_else", "nonce": null, "iat": NOW + 3600}),
    ));
    script.expect(
        "POST",
        "https://t.example.com/oauth/token",
        |_| {},
        json_reply(200, &json!({"access_token": "at-2", "refresh_token": "rt-2", "token_type": "Bearer", "expires_in": 600, "id_token": other})),
    );
    expect_jwks(&script, &p);
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.body.contains("failed_to_refresh_token"));
    assert!(r.set_cookies().is_empty(), "the session is left as it was");
    script.done();
}

/// Hooks that keep the callback's error.
#[derive(Clone, Default)]
struct Capture(Rc<RefCell<Option<AuthError>>>);

impl Hooks for Capture {
    fn on_callback(
        &self,
        outcome: Result<&Session<'_>, &AuthError>,
        ctx: &CallbackContext<'_>,
        res: &mut ResponseBuilder<'_>,
        body: &mut auth0_edge::codec::buf::Writer<'_>,
    ) -> Result<(), auth0_edge::Error> {
        if let Err(e) = outcome {
            *self.0.borrow_mut() = Some(e.clone());
        }
        auth0_edge::flow::DefaultHooks.on_callback(outcome, ctx, res, body)
    }
}

#[test]
fn the_issuer_is_checked_before_an_error_is_honoured() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let hooks = Capture::default();
    let auth0 = auth0.with_hooks(hooks.clone());
    let mut jar = Jar::default();
    let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, true);
    let r = callback(
        &auth0,
        &format!("error=access_denied&state={state}&iss=https%3A%2F%2Fevil.example%2F"),
        &jar,
    );
    assert_eq!(r.status, 500);
    match hooks.0.borrow().clone() {
        Some(AuthError::Authorization(e)) => {
            assert_eq!(e.error.as_str(), "invalid_request");
            assert!(e.description.as_str().contains("does not match the issuer"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn untrusted_provider_metadata_is_refused() {
    let expire_and_refresh = |metadata: Value, allow_insecure: bool| {
        let p = Provider::new();
        let (auth0, script, clock) = client(Config {
            allow_insecure_requests: allow_insecure,
            ..config()
        });
        let jar = signed_in(&auth0, &script, &p, json!({}));
        clock.advance(3600);
        script.expect(
            "GET",
            "https://t.example.com/.well-known/openid-configuration",
            |_| {},
            json_reply(200, &metadata),
        );
        let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
        let r = auth0_edge::testing::block_on(auth0.get_access_token(
            &jar.header(),
            &AccessTokenOptions::default(),
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .map(|_| ());
        (r, script)
    };
    let good = Provider::new().metadata;
    let mut evil = good.clone();
    evil["issuer"] = json!("https://evil.example.com/");
    let (r, _) = expire_and_refresh(evil, false);
    assert_eq!(
        r,
        Err(AuthError::Discovery(DiscoveryFailure::Untrusted(
            MetadataError::IssuerMismatch
        )))
    );
    let mut plain = good.clone();
    plain["token_endpoint"] = json!("http://t.example.com/oauth/token");
    let (r, _) = expire_and_refresh(plain.clone(), false);
    assert_eq!(
        r,
        Err(AuthError::Discovery(DiscoveryFailure::Untrusted(
            MetadataError::InsecureEndpoint("token_endpoint")
        )))
    );
    // Allowed when insecure requests are: the refresh goes to the http endpoint.
    let (r, script) = {
        let p = Provider::new();
        let (auth0, script, clock) = client(Config {
            allow_insecure_requests: true,
            ..config()
        });
        let jar = signed_in(&auth0, &script, &p, json!({}));
        clock.advance(3600);
        script.expect(
            "GET",
            "https://t.example.com/.well-known/openid-configuration",
            |_| {},
            json_reply(200, &plain),
        );
        script.expect(
            "POST",
            "http://t.example.com/oauth/token",
            |_| {},
            json_reply(
                200,
                &json!({"access_token": "at-2", "token_type": "Bearer", "expires_in": 60}),
            ),
        );
        let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
        let r = auth0_edge::testing::block_on(auth0.get_access_token(
            &jar.header(),
            &AccessTokenOptions::default(),
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .map(|t| t.token.to_string());
        (r, script)
    };
    assert_eq!(r, Ok("at-2".to_string()));
    script.done();
}

#[test]
fn id_tokens_with_untrusted_audiences_are_refused() {
    for (trusted, ok) in [(Strs::EMPTY, false), (Strs::new(&["https://other"]), true)] {
        let p = Provider::new();
        let (auth0, script, _) = client(Config {
            id_token_trusted_audiences: trusted,
            ..config()
        });
        let hooks = Capture::default();
        let auth0 = auth0.with_hooks(hooks.clone());
        let mut jar = Jar::default();
        let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
        let r = finish_login(
            &auth0,
            &script,
            &p,
            &state,
            &nonce,
            json!({}),
            json!({"aud": ["client-1", "https://other"], "azp": "client-1"}),
            &jar,
        );
        if ok {
            assert_eq!(r.status, 307, "{r:?}");
        } else {
            assert_eq!(r.status, 500);
            assert_eq!(
                hooks.0.borrow().clone(),
                Some(AuthError::AuthorizationCodeGrant(GrantFailure::IdToken(
                    IdTokenError::UntrustedAudience
                )))
            );
        }
    }
}

#[test]
fn a_dpop_proof_answered_with_a_bearer_token_is_refused() {
    let key = auth0_edge::jose::jwk::EcKeyPair::generate(&mut rand_core::OsRng);
    let pem = leak(key.private_pem());
    for (token_type, ok) in [("Bearer", false), ("DPoP", true)] {
        let p = Provider::new();
        let (auth0, script, _) = client(Config {
            dpop: Some(DpopConfig {
                private_key_pem: pem,
                public_key_pem: None,
                clock_skew: 0,
                clock_tolerance: 30,
                retry_delay_ms: 100,
                retry_jitter: true,
            }),
            ..config()
        });
        let hooks = Capture::default();
        let auth0 = auth0.with_hooks(hooks.clone());
        let mut jar = Jar::default();
        let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
        let r = finish_login(
            &auth0,
            &script,
            &p,
            &state,
            &nonce,
            json!({"token_type": token_type}),
            json!({}),
            &jar,
        );
        assert_eq!(r.status == 307, ok, "{token_type}: {r:?}");
        if !ok {
            assert!(matches!(
                hooks.0.borrow().clone(),
                Some(AuthError::AuthorizationCodeGrant(
                    GrantFailure::Malformed { .. }
                ))
            ));
        }
    }
}

#[test]
fn scope_maps_and_merge_scopes_behave_as_the_sdk() {
    static MAP: [(&str, &str); 1] = [("https://api", "read:data")];
    let config_with_map = Config {
        authorization_parameters: AuthorizationParameters {
            scope: Scope::PerAudience(Pairs::new(&MAP)),
            audience: Some("https://default"),
            extra: Pairs::EMPTY,
        },
        ..config()
    };
    // A map with no default audience is refused when the client is made.
    let no_audience = Config {
        authorization_parameters: AuthorizationParameters {
            audience: None,
            ..config_with_map.authorization_parameters
        },
        ..config_with_map
    };
    assert!(
        auth0_edge::flow::Auth0::new(
            no_audience,
            auth0_edge::testing::Unreachable::default(),
            auth0_edge::runtime::FixedClock(NOW),
            auth0_edge::runtime::MemoryCache::<1024>::new()
        )
        .is_err()
    );

    let p = Provider::new();
    let (auth0, script, _) = client(config_with_map);
    let mut jar = Jar::default();
    // The default audience gets DEFAULT_SCOPES at login.
    let (state, nonce, r) = login(&auth0, &script, &p, "", &mut jar, true);
    let (_, params) = r.location_params();
    assert!(params.contains(&("scope".into(), "openid profile email offline_access".into())));
    assert!(params.contains(&("audience".into(), "https://default".into())));
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &state,
        &nonce,
        json!({}),
        json!({}),
        &jar,
    );
    jar.apply(&r);
    let token = |opts: AccessTokenOptions<'_>, expected_scope: &'static str| {
        script.expect(
            "POST",
            "https://t.example.com/oauth/token",
            move |s| {
                let form = s.form();
                let scope = form.iter().find(|(k, _)| k == "scope").map(|(_, v)| v.as_str());
                assert_eq!(scope, Some(expected_scope), "{form:?}");
            },
            json_reply(200, &json!({"access_token": "at-x", "token_type": "Bearer", "expires_in": 60, "scope": expected_scope})),
        );
        let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
        auth0_edge::testing::block_on(auth0.get_access_token(
            &jar.header(),
            &opts,
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap()
        .token
        .to_string()
    };
    // An audience the map has no entry for: only the asked scope (not DEFAULT_SCOPES).
    let t = token(
        AccessTokenOptions {
            audience: Some("https://other"),
            scope: Some("read:x"),
            ..Default::default()
        },
        "read:x",
    );
    assert_eq!(t, "at-x");
    // A mapped audience: its scope merged with the asked one; with merge_scopes false, the asked
    // one alone.
    token(
        AccessTokenOptions {
            audience: Some("https://api"),
            scope: Some("write:x"),
            ..Default::default()
        },
        "read:data write:x",
    );
    token(
        AccessTokenOptions {
            audience: Some("https://api"),
            scope: Some("write:y"),
            merge_scopes: false,
            ..Default::default()
        },
        "write:y",
    );
    script.done();
}

#[test]
fn custom_routes_and_environment_overrides() {
    let p = Provider::new();
    let mut c = config();
    c.routes.login = "/login";
    c.routes.callback = "/cb";
    c.routes.logout = "/bye";
    let (auth0, script, _) = client(c);
    assert!(request(&auth0, "/auth/login", "", &[]).unwrap().next);
    let mut jar = Jar::default();
    expect_discovery(&script, &p);
    let r = request(&auth0, "/login", "", &[]).unwrap();
    assert_eq!(r.status, 307);
    jar.apply(&r);
    let (_, params) = r.location_params();
    assert!(params.contains(&("redirect_uri".into(), format!("{APP}/cb"))));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.clone();
    expect_token(
        &script,
        json!({"access_token": "at", "refresh_token": "rt", "expires_in": 60,
        "id_token": p.sign_rs256(&p.claims(&get("nonce"), json!({})))}),
        |s| {
            assert!(
                s.body
                    .contains("redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb")
            );
        },
    );
    expect_jwks(&script, &p);
    let r = request(
        &auth0,
        &format!("/cb?code=c&state={}", get("state")),
        &jar.header(),
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    script.expect(
        "POST",
        "https://t.example.com/oauth/revoke",
        |_| {},
        json_reply(200, &json!({})),
    );
    let r = request(&auth0, "/bye", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 307);
    assert!(
        r.header("Location")
            .unwrap()
            .starts_with("https://t.example.com/oidc/logout?")
    );
    script.done();

    // NEXT_PUBLIC_PROFILE_ROUTE and NEXT_PUBLIC_ACCESS_TOKEN_ROUTE.
    let env = [
        ("AUTH0_DOMAIN", "t.example.com"),
        ("AUTH0_CLIENT_ID", "client-1"),
        ("AUTH0_CLIENT_SECRET", "client-secret"),
        ("AUTH0_SECRET", SECRET),
        ("APP_BASE_URL", APP),
        ("NEXT_PUBLIC_PROFILE_ROUTE", "/me/profile"),
        ("NEXT_PUBLIC_ACCESS_TOKEN_ROUTE", "/me/token"),
    ];
    let c = OwnedConfig::from_lookup(|k| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    let (auth0, _script, _) = client(Box::leak(Box::new(c)).as_config());
    assert_eq!(request(&auth0, "/me/profile", "", &[]).unwrap().status, 401);
    let r = request(&auth0, "/me/token", "", &[]).unwrap();
    assert_eq!(r.status, 401);
    assert!(r.body.contains("missing_session"));
    assert!(request(&auth0, "/auth/profile", "", &[]).unwrap().next);
}

#[test]
fn oidc_logout_without_the_id_token_hint() {
    let p = Provider::new();
    let (auth0, script, _) = client(Config {
        logout_strategy: LogoutStrategy::Oidc,
        include_id_token_hint_in_oidc_logout_url: false,
        ..config()
    });
    let jar = signed_in(&auth0, &script, &p, json!({}));
    script.expect(
        "POST",
        "https://t.example.com/oauth/revoke",
        |_| {},
        json_reply(200, &json!({})),
    );
    let r = request(&auth0, "/auth/logout", &jar.header(), &[]).unwrap();
    let (base, params) = r.location_params();
    assert_eq!(base, "https://t.example.com/oidc/logout");
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["client_id", "post_logout_redirect_uri", "logout_hint"]
    );
    assert_eq!(params[0].1, "client-1");
    assert_eq!(params[2].1, "sid-1");
}

/// An `on_callback` that answers in its own way, and a `before_session_rolled` that says no.
#[derive(Clone)]
struct Custom {
    roll: bool,
}

impl Hooks for Custom {
    fn on_callback(
        &self,
        outcome: Result<&Session<'_>, &AuthError>,
        _ctx: &CallbackContext<'_>,
        res: &mut ResponseBuilder<'_>,
        body: &mut auth0_edge::codec::buf::Writer<'_>,
    ) -> Result<(), auth0_edge::Error> {
        match outcome {
            Ok(s) => {
                res.set_status(200);
                body.push_str("welcome ")?;
                body.push_str(
                    s.user
                        .get_str("name")
                        .and_then(|n| n.as_str())
                        .unwrap_or("?"),
                )
            }
            Err(e) => {
                res.set_status(400);
                body.push_str(e.code())
            }
        }
    }

    fn before_session_rolled(&self, req: &Request<'_>) -> bool {
        self.roll && !req.path.starts_with("/static/")
    }
}

#[test]
fn custom_on_callback_and_before_session_rolled() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let auth0 = auth0.with_hooks(Custom { roll: true });
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &state,
        &nonce,
        json!({}),
        json!({}),
        &jar,
    );
    assert_eq!((r.status, r.body.as_str()), (200, "welcome Zoë"));
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("__session=")),
        "the session is still written"
    );
    jar.apply(&r);
    // The error path.
    let r = request(&auth0, "/auth/callback?code=c&state=unknown", "", &[]).unwrap();
    assert_eq!((r.status, r.body.as_str()), (400, "invalid_state"));
    // Rolling asked, and declined for /static/.
    clock.advance(120);
    let r = request(&auth0, "/page", &jar.header(), &[]).unwrap();
    assert!(r.set_cookies().iter().any(|c| c.starts_with("__session=")));
    let r = request(&auth0, "/static/app.js", &jar.header(), &[]).unwrap();
    assert!(r.next && r.set_cookies().is_empty());
}

#[test]
fn start_interactive_login_keeps_its_return_to() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    expect_discovery(&script, &p);
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let opts = LoginOptions {
        authorization_params: auth0_edge::config::Pairs::new(&[("prompt", "login")]),
        return_to: Some("/welcome?tour=1"),
    };
    let r = own(
        auth0_edge::testing::block_on(auth0.start_interactive_login(
            &opts,
            "",
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap(),
        false,
    );
    let mut jar = Jar::default();
    jar.apply(&r);
    let (_, params) = r.location_params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("prompt"), "login");
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &get("state"),
        &get("nonce"),
        json!({}),
        json!({}),
        &jar,
    );
    assert_eq!(
        r.header("Location"),
        Some(format!("{APP}/welcome?tour=1").as_str())
    );
    // A return_to on another origin falls back to the sign-in path.
    let opts = LoginOptions {
        authorization_params: auth0_edge::config::Pairs::EMPTY,
        return_to: Some("https://evil.example/"),
    };
    let r = own(
        auth0_edge::testing::block_on(auth0.start_interactive_login(
            &opts,
            "",
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap(),
        false,
    );
    let mut jar = Jar::default();
    jar.apply(&r);
    let (_, params) = r.location_params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let r = finish_login(
        &auth0,
        &script,
        &p,
        &get("state"),
        &get("nonce"),
        json!({}),
        json!({}),
        &jar,
    );
    assert_eq!(r.header("Location"), Some(format!("{APP}/").as_str()));
    script.done();
}
