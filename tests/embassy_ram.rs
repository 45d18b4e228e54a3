//! The RAM a device needs for a login, its callback and a refresh on the embassy runtime, with
//! Auth0-sized data: a discovery document of about 5 KB, an Auth0 JWKS (two RSA-2048 keys with
//! their `x5c` certificates), RS256 ID and access tokens as long as Auth0's, and a session of
//! about 2.5 KB.
//!
//! The budget (issue 11): at most 32 KiB beyond the TLS record buffers for the work buffer, the
//! flow futures (`size_of_val`), the provider cache and the peak stack. See EMBEDDED.md for the
//! figures and how each is measured.
// The helpers return the flows' own error, whatever its size.
#![allow(clippy::result_large_err)]

use auth0_edge::codec::base64url;
use auth0_edge::codec::form::{decode_component, query_get};
use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::flow::{AccessTokenOptions, Auth0, AuthError};
use auth0_edge::http::{OutgoingRequest, Request, Response, ResponseHead};
use auth0_edge::runtime::{MemoryCache, Transport, TransportError};
use auth0_edge::testing::{Jar, ManualClock, block_on};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use sha2::Digest;
use std::sync::Mutex;

pub const CLIENT_ID: &str = "Xq3Jx0Jk7uKcQm2VbN4tYp8sZl6rWd1E";
pub const CLIENT_SECRET: &str = "s3cr3t-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";
pub const SECRET: &str = "a-device-secret-that-is-long-enough-0123456789";
pub const APP: &str = "https://gateway.example.com";
pub const SUB: &str = "auth0|65f0c0ffee0123456789abcd";

/// RSA-2048 test keys (made for these tests only).
const KEY_A: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCS7rjqcft69VKi\nLEPjucSdaZoqAlKXmKwUU05ujYPGkkXMQEDC0i6cOCNjQNUNo3lS/6XNlslDLVyX\nL15vb3fxL1SMEps2OBhsZwsfAmMVd70QbCYSLV0sLHjXrsL1ms/MG0CdthAEQ0Uh\n5T81mavBYZbiAc3Rb2p9kG5UI42FATHp+7U2yYLpLIaRqq1rNm9jMr2Yq7FUZg/9\nC/WMzZBoDsyIahNoAaxAruEJI+1+R4FTZNokVlVM5jQBrwmc7W4ePqLb6JiQg7Zu\nYBBL+GQ3CR0TOWnhNQaTqm/bsq4Pdr5NVlkuZcoBKyQ46fxHoZfmorUb8qT46x/m\nGSqNML45AgMBAAECggEAJFKBQeuleFL294Ir0jrVIPi/FI14b2NdfrTNWcUAA3Gb\ncY+cssyUmyfBj8KyKGn2Dw+FpFoXLNUk43bhSHjs1KGXq/zZg8DAQOQEOskzR1ZP\nVaT2kF3If6gKw36/UUnQ/qrqAVLFiNg8WdG7G3v+mpKOYxaBE7oQQDQZIhGb5Xnz\nLjzr0+DGa1s0uz0o4OgLPVBQ/+PnTKqz020xqL5V7TNZM2cMRA7XlhD47tciQPe5\n0mtK/s96dCKsXedTgdqNQ+tUIVvPqlIOXwuSTRWWaXMuzeplK7X7KGeWvcT3uGU6\niMnctIDbUIbYdzPYGm12xnfVA8lF5d9JBNG8tndS0QKBgQDJ602CFfVoB6l+62n8\nWCaNHAhW7FxQQm5H84CG25Aqa8W4npFOlT5i6t0xlGiH/WgfSo0mD5pjRrDeEc8N\niotEBZnpAwWQ07CUwN15AEVlBNG3GooI9hz1PNU9c74K7L3wJY1aEdUxaFQ+tmzg\nNUkhx38/BBn+bLh220PLv7DCLQKBgQC6STr1WPo+v4tnPc56BWER1bfJsqHYHBCl\nKU4rLG2pTqN0u6/I9iwaeC2yjlhd9uj6T63KlKfTcEwtPTJNz2JaKC7IZ8POXDwO\n74OMpqN40dVsz9nR7c85lFod49wW/IfOVDZyF+DzFgxGKqzHJm+jlWcx1jPMb/Ut\nrav2RcvPvQKBgQCvMptt49+rA/rtRRYQ/et1RH137l2qxfkqNP2wBZJxPFGyfuNV\na+lVqrOB8WNBm35cqDMQczliKlQMWydseGmd+74vj4+kugjdCPshojqUDDpqxXw/\nikxV/RKI34RltkSXuf2LyS1SUVPHlkGhyJpL1O1zn/tt5qeneVi50PltgQKBgF8B\nmiAnEPmPlvlAfF2fALKn3OPxRrmBFrwlJMjAD+2ZPaP7VNuZMUUOpb+6+TZzBr8i\ng/AdgLpFO5SW8WDds7tnYvSydxp3z+mOHflNw3GLEt4740s9jcI/9vXnkAfpIxoH\nuPzXUNKpG/ltKlEnOSikucyhAinxr4lsWZdwYVHBAoGAUacfXEv/6SoodI+urgq+\nntgxPrKGH9CcBr+gMhzuRMEQhKUcDeSEEIsw7IGfluFS/xtSN8pUV8cEiR6X6r6j\n5+i0sdC8gaOYccgxqM0Ju3dd3nnSkwwyodVDyslJjrQrkEYylcZb8WA+r3RIuAqt\nUCTjo4X6Jj5ElF4zVNJxy0w=\n-----END PRIVATE KEY-----";
const KEY_B: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC/T2zq1pQQGg26\nfPm7doWPc5R/N9bH1N9CmHpEYgvZ1/5TKh+hc1DbEU9N78Y9peKRKhoVgs7q1dc7\nZi8ivZ4cdjNU7CciVva0MwAIy91jT6jOWIAMaHXuiN/o7RY/NICZnH/M7Dr1Wnlv\nDy4/GTZAtBbs65DiElgPubCTQGGY6JTD0HSgFvM4/g9Wd6BPv0yAy69LJH4KZVmR\nOx+Mqruq+sS/pNn7xhC8cB/pzcYZnT66gP4w3SeQWEuRxG4I7vhVhGuS26crVXWK\nGykIenDkXBNhG/a2kiouyLAG6dBaZUfn8FobqIadcyrhzDb9Bf2kS0pNlCNaBPkl\nQ+IH4Lj5AgMBAAECggEANSv3IsIm/t6u6CEqK99COd+u6zjy2jGhJ9pHSVBS6OYu\niqDPj8kENQ73krrMx3+enCgufcIQjpaGrry05xv6oQB9PeIw8ktnYCg4nzlCPAL8\n8PUKCejStkyWpx+WKlUGVSt5HdSegmj2DVcTzHfOa2diY9EJQLxGe4BpwlOHjL7E\n7Y2+LPzASiFSeu82u9efQdMKnb5XD+khw2NZ7nvGb9XlSnBpVZ0guZYwVMWYSgZI\n3wUWIjuh4q9QxAH8PJb4TDqoweN4tb6+brG5RDR+V8S2JYZ4TKeEEW4t2a5m4pXu\nltgYyPPDrlPMThBSXB+Q3BfZkVme4/nkCQTOHtaO/QKBgQDdv0AEEd67GyOLlMNR\nE4W56sqtBOAVeaYiWZNM7ltgHTyvmt1udmtaXivX2TzmKsS/2Z79OQPkSzXQURsz\nQcNkQkYoe+YMAFGtc55YgUJIYEks1Zt6dyuN6p1henOJ/qLV2NkxKPvV+VvHrp6i\nHxH7O1zP3+QFTHWUEbdjF90D4wKBgQDc3JWPK3JYF4jZrm0Smp96s4q/17PHIjTs\n6zZbgpW6mDyHHqfNB5bqnL1RmBfS4cDF+aIVGoKPUE4ZjmYv2YW15rSgxK6YWqcT\nnBmemBaEvKRO3fbTUAebXhiRhQYSLMAU+umvbu93pjiMAGtClioiCXbk//Ltq2TA\n9wjnK20+cwKBgQCH9RjU5fgAFFWo4R8X+LZHFXQKvTB/OkToTq+HvaT8uzBYIsWd\nUrHjiFWtVB6IqLRVRKK8c1a1hH+MKA5bUPjx4ciOTdjwhsmNZZQyg54WLiLvgFCB\nt8tWigDQoXlxpFRGdVxFTfGKcgcZ2TCeChrGRNFVCtsNfKGilXIxKZJzLQKBgQCU\nm7Pidqhkj8lcNxpbF0FRrXchqIDl76VO+OFFZ7NZr0+i10SvF3k7eaWFPmJhWdd9\nHoAp1QGebrluRruJXMK0Z3yIZG7aQr0C29j9NnaIb+nay01mWAYWS5UabThtiEDi\nnQYaLfnhNy37PdjuH95PsrCWW4XY16dek5og+b5y8wKBgAlKff6JlNMvnnuozh9u\n+cUh8pi/nDMBlJraGItzdDmU3m/qOme0JiUZHpOziPvic06EZrIGOvAvcUrC8Gy0\ntLnDgQUT3mX4WUG9CiRepBxTe01SYfUc8LzG/TUKkc0H5+/rN32Z6mH8dCsR9dP2\naD5bX+IzBFF0O2AuSQMgwb40\n-----END PRIVATE KEY-----";

// ---------------------------------------------------------------------------------------------
// An Auth0 tenant with Auth0's document and token sizes
// ---------------------------------------------------------------------------------------------

fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 4 / 3 + 4];
    base64url::encode(bytes, &mut out).unwrap().to_string()
}

/// Percent-encodes everything but unreserved characters.
pub fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn std_b64(bytes: &[u8]) -> String {
    b64(bytes).replace('-', "+").replace('_', "/")
}

struct Key {
    kid: String,
    signer: rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>,
    jwk: String,
}

fn key(pem: &str, kid: &str, cn: &str) -> Key {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    let n = b64(&private.n().to_bytes_be());
    // The x5c certificate, self-signed as Auth0's are.
    let kp = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.not_before = rcgen::date_time_ymd(2024, 6, 1);
    p.not_after = rcgen::date_time_ymd(2038, 2, 1);
    let der = p.self_signed(&kp).unwrap().der().to_vec();
    let thumb = sha2::Sha256::digest(&der);
    let jwk = format!(
        r#"{{"kty":"RSA","use":"sig","n":"{n}","e":"AQAB","kid":"{kid}","x5t":"{}","x5c":["{}"],"alg":"RS256"}}"#,
        b64(&thumb[..20]),
        std_b64(&der),
    );
    Key {
        kid: kid.into(),
        signer: rsa::pkcs1v15::SigningKey::new(private),
        jwk,
    }
}

struct Pending {
    code: String,
    nonce: String,
    challenge: String,
}

#[derive(Default)]
struct TenantState {
    pending: Vec<Pending>,
    refresh_token: Option<String>,
    issued: u64,
    token_requests: u64,
}

/// An Auth0 tenant: its discovery document, JWKS, tokens and response headers have Auth0's
/// shapes and sizes.
pub struct Tenant {
    /// `https://host[:port]`.
    pub origin: String,
    keys: [Key; 2],
    /// The discovery document.
    pub discovery: String,
    /// The JWKS.
    pub jwks: String,
    state: Mutex<TenantState>,
    now: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl Tenant {
    pub fn new(origin: &str, now: impl Fn() -> i64 + Send + Sync + 'static) -> Tenant {
        let keys = [
            key(KEY_A, "hWq0xV3kZ9mN2bR7cT1yL", "dev-example.us.auth0.com"),
            key(KEY_B, "Pp8sD4fG6hJ2kL0zX5cV9", "dev-example.us.auth0.com"),
        ];
        let jwks = format!(r#"{{"keys":[{},{}]}}"#, keys[0].jwk, keys[1].jwk);
        let t = origin;
        let mtls = origin.replacen("https://", "https://mtls.", 1);
        let discovery = format!(
            concat!(
                r#"{{"issuer":"{t}/","authorization_endpoint":"{t}/authorize","token_endpoint":"{t}/oauth/token","device_authorization_endpoint":"{t}/oauth/device/code","userinfo_endpoint":"{t}/userinfo","mfa_challenge_endpoint":"{t}/mfa/challenge","jwks_uri":"{t}/.well-known/jwks.json","registration_endpoint":"{t}/oidc/register","revocation_endpoint":"{t}/oauth/revoke","#,
                r#""scopes_supported":["openid","profile","offline_access","name","given_name","family_name","nickname","email","email_verified","picture","created_at","identities","phone","address","read:orders","write:orders","read:devices","write:devices","read:telemetry","admin:firmware"],"#,
                r#""response_types_supported":["code","token","id_token","code token","code id_token","token id_token","code token id_token"],"code_challenge_methods_supported":["S256","plain"],"response_modes_supported":["query","fragment","form_post"],"subject_types_supported":["public"],"#,
                r#""token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt","tls_client_auth","self_signed_tls_client_auth"],"token_endpoint_auth_signing_alg_values_supported":["RS256","RS384","PS256","ES256"],"#,
                r#""claims_supported":["aud","auth_time","created_at","email","email_verified","exp","family_name","given_name","iat","identities","iss","name","nickname","phone_number","picture","sub","updated_at","locale","org_id","org_name","sid"],"#,
                r#""request_uri_parameter_supported":false,"request_parameter_supported":true,"id_token_signing_alg_values_supported":["HS256","RS256","PS256"],"tls_client_certificate_bound_access_tokens":true,"request_object_signing_alg_values_supported":["RS256","RS384","PS256"],"#,
                r#""backchannel_logout_supported":true,"backchannel_logout_session_supported":true,"end_session_endpoint":"{t}/oidc/logout","backchannel_authentication_endpoint":"{t}/bc-authorize","backchannel_token_delivery_modes_supported":["poll"],"backchannel_user_code_parameter_supported":false,"#,
                r#""global_token_revocation_endpoint":"{t}/oauth/global-token-revocation/connection/{{connectionName}}","global_token_revocation_endpoint_auth_methods_supported":["global-token-revocation+jwt"],"#,
                r#""dpop_signing_alg_values_supported":["ES256"],"pushed_authorization_request_endpoint":"{t}/oauth/par","require_pushed_authorization_requests":false,"authorization_response_iss_parameter_supported":true,"#,
                r#""ui_locales_supported":["en","fr","de","es","it","ja","ko","nl","pt","pt-BR","sv","zh-CN","zh-TW"],"acr_values_supported":["http://schemas.openid.net/pape/policies/2007/06/multi-factor","http://schemas.openid.net/pape/policies/2007/06/phishing-resistant"],"claim_types_supported":["normal"],"display_values_supported":["page","popup","touch","wap"],"#,
                r#""subject_types_supported":["public"],"claim_types_supported":["normal"],"display_values_supported":["page","popup","touch","wap"],"#,
                r#""request_object_signing_alg_values_supported":["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","ES512","EdDSA","HS256","HS384","HS512"],"#,
                r#""userinfo_signing_alg_values_supported":["RS256","HS256"],"request_object_encryption_alg_values_supported":["RSA-OAEP","RSA-OAEP-256","ECDH-ES","ECDH-ES+A128KW","ECDH-ES+A256KW"],"#,
                r#""request_object_encryption_enc_values_supported":["A128GCM","A256GCM","A128CBC-HS256","A256CBC-HS512"],"introspection_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt"],"#,
                r#""authorization_signing_alg_values_supported":["RS256","PS256","ES256"],"authorization_encryption_alg_values_supported":["RSA-OAEP","RSA-OAEP-256"],"authorization_encryption_enc_values_supported":["A128GCM","A256GCM"],"#,
                r#""service_documentation":"https://auth0.com/docs","op_policy_uri":"https://auth0.com/privacy","op_tos_uri":"https://auth0.com/legal","#,
                r#""mtls_endpoint_aliases":{{"token_endpoint":"{m}/oauth/token","revocation_endpoint":"{m}/oauth/revoke","userinfo_endpoint":"{m}/userinfo","pushed_authorization_request_endpoint":"{m}/oauth/par","device_authorization_endpoint":"{m}/oauth/device/code","backchannel_authentication_endpoint":"{m}/bc-authorize"}}}}"#,
            ),
            t = t,
            m = mtls,
        );
        Tenant {
            origin: origin.into(),
            keys,
            discovery,
            jwks,
            state: Mutex::default(),
            now: Box::new(now),
        }
    }

    /// A JWT signed with the first key.
    fn sign(&self, claims: &str) -> String {
        let k = &self.keys[0];
        let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, k.kid);
        let input = format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()));
        let sig = k.signer.sign(input.as_bytes()).to_vec();
        format!("{input}.{}", b64(&sig))
    }

    /// How many requests reached the token endpoint.
    pub fn token_requests(&self) -> u64 {
        self.state.lock().unwrap().token_requests
    }

    /// The authorization endpoint, as the browser's visit reaches it: keeps the login and
    /// returns the callback's query (`code`, `state`, `iss`).
    pub fn authorize(&self, location: &str) -> String {
        let (endpoint, query) = location.split_once('?').unwrap();
        assert_eq!(endpoint, format!("{}/authorize", self.origin));
        let get = |name: &str| {
            let mut out = vec![0u8; 2048];
            decode_component(query_get(query, name).unwrap(), &mut out)
                .unwrap()
                .to_string()
        };
        assert_eq!(get("client_id"), CLIENT_ID);
        let mut st = self.state.lock().unwrap();
        st.issued += 1;
        let code = format!("ZqCHkXw{:025}", st.issued);
        st.pending.push(Pending {
            code: code.clone(),
            nonce: get("nonce"),
            challenge: get("code_challenge"),
        });
        let state = query_get(query, "state").unwrap();
        format!(
            "code={code}&state={state}&iss={}",
            pct(&format!("{}/", self.origin))
        )
    }

    /// The token endpoint: the code (with PKCE) and refresh grants, rotating refresh tokens.
    fn token(&self, body: &str) -> (u16, String) {
        let get = |name: &str| {
            query_get(body, name).map(|v| {
                let mut out = vec![0u8; 4096];
                decode_component(v, &mut out).unwrap().to_string()
            })
        };
        let mut st = self.state.lock().unwrap();
        st.token_requests += 1;
        let refused = |d: &str| {
            (
                403,
                format!(r#"{{"error":"invalid_grant","error_description":"{d}"}}"#),
            )
        };
        if get("client_id").as_deref() != Some(CLIENT_ID)
            || get("client_secret").as_deref() != Some(CLIENT_SECRET)
        {
            return (
                401,
                r#"{"error":"access_denied","error_description":"Unauthorized"}"#.into(),
            );
        }
        let nonce = match get("grant_type").as_deref() {
            Some("authorization_code") => {
                let code = get("code").unwrap_or_default();
                let Some(i) = st.pending.iter().position(|p| p.code == code) else {
                    return refused("Invalid authorization code");
                };
                let p = st.pending.remove(i);
                let verifier = get("code_verifier").unwrap_or_default();
                if auth0_edge::oauth::pkce::challenge(&verifier).as_str() != p.challenge {
                    return refused("Failed to verify code verifier");
                }
                Some(p.nonce)
            }
            Some("refresh_token") => {
                if get("refresh_token") != st.refresh_token {
                    return refused("Unknown or invalid refresh token.");
                }
                None
            }
            _ => return refused("Unsupported grant type"),
        };
        st.issued += 1;
        let n = st.issued;
        let now = (self.now)();
        let nonce = nonce.map_or(String::new(), |n| format!(r#","nonce":"{n}""#));
        let id_claims = format!(
            concat!(
                r#"{{"given_name":"Zoë","family_name":"Example","nickname":"zoe.example","name":"Zoë Example","#,
                r#""picture":"https://s.gravatar.com/avatar/0123456789abcdef0123456789abcdef?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fze.png","#,
                r#""updated_at":"2026-01-01T12:00:00.000Z","email":"zoe.example@example.com","email_verified":true,"#,
                r#""iss":"{o}/","aud":"{c}","sub":"{s}","iat":{iat},"exp":{exp},"sid":"Xy3q9Lm0Nn4Vb7Cc2Zz8Aa1Ss6Dd5Ff"{nonce}}}"#
            ),
            o = self.origin,
            c = CLIENT_ID,
            s = SUB,
            iat = now,
            exp = now + 36_000,
            nonce = nonce,
        );
        let at_claims = format!(
            concat!(
                r#"{{"iss":"{o}/","sub":"{s}","aud":["https://api.example.com/","{o}/userinfo"],"iat":{iat},"exp":{exp},"#,
                r#""scope":"openid profile email offline_access","azp":"{c}","permissions":["read:devices","read:telemetry"],"jti":"{n:020}"}}"#
            ),
            o = self.origin,
            s = SUB,
            c = CLIENT_ID,
            iat = now,
            exp = now + 86_400,
            n = n,
        );
        let refresh = format!(
            "v1.M{}",
            &b64(&sha2::Sha512::digest(n.to_be_bytes())).repeat(2)[..126]
        );
        st.refresh_token = Some(refresh.clone());
        (
            200,
            format!(
                r#"{{"access_token":"{}","id_token":"{}","refresh_token":"{refresh}","scope":"openid profile email offline_access","expires_in":86400,"token_type":"Bearer"}}"#,
                self.sign(&at_claims),
                self.sign(&id_claims),
            ),
        )
    }

    /// The answer to a request: status, header lines (as the HTTP/1.1 parser keeps them) and
    /// body.
    pub fn respond(&self, method: &str, path: &str, body: &str) -> (u16, String, Vec<u8>) {
        let (status, json, cache) = match (method, path) {
            ("GET", "/.well-known/openid-configuration") => (
                200,
                self.discovery.clone(),
                "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400",
            ),
            ("GET", "/.well-known/jwks.json") => (
                200,
                self.jwks.clone(),
                "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400",
            ),
            ("POST", "/oauth/token") => {
                let (s, j) = self.token(body);
                (s, j, "no-store")
            }
            _ => (404, r#"{"error":"not_found"}"#.into(), "no-store"),
        };
        // Auth0's response headers (through its CDN), about 700 bytes.
        let headers = format!(
            concat!(
                "Date: Thu, 01 Jan 2026 12:00:00 GMT\r\nContent-Type: application/json; charset=utf-8\r\n",
                "Content-Length: {len}\r\nConnection: close\r\nCF-Ray: 8f1e2d3c4b5a6978-FRA\r\n",
                "Cache-Control: {cache}\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n",
                "Vary: Origin, Accept-Encoding\r\not-baggage-auth0-request-id: 8f1e2d3c4b5a6978\r\n",
                "ot-tracer-spanid: 0a1b2c3d4e5f6a7b\r\not-tracer-traceid: 1c2d3e4f5a6b7c8d\r\not-tracer-sampled: true\r\n",
                "X-Auth0-RequestId: 0a1b2c3d4e5f6a7b8c9d\r\nX-RateLimit-Limit: 30\r\nX-RateLimit-Remaining: 29\r\n",
                "X-RateLimit-Reset: 1767268801\r\nCF-Cache-Status: DYNAMIC\r\nServer: cloudflare\r\n",
                "alt-svc: h3=\":443\"; ma=86400\r\n",
            ),
            len = json.len(),
            cache = cache,
        );
        (status, headers, json.into_bytes())
    }
}

/// The tenant as a [`Transport`] in memory: what the embassy transport's HTTP/1.1 parser would
/// write for the same HTTPS response.
pub struct InMemory<'t>(pub &'t Tenant);

impl Transport for InMemory<'_> {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        let path = req.url.strip_prefix(self.0.origin.as_str()).unwrap_or("");
        let body = std::str::from_utf8(req.body).unwrap_or("");
        let (status, headers, body) = self.0.respond(req.method, path, body);
        let total = headers.len() + body.len();
        let out = buf
            .get_mut(..total)
            .ok_or(TransportError::ResponseTooLarge)?;
        out[..headers.len()].copy_from_slice(headers.as_bytes());
        out[headers.len()..].copy_from_slice(&body);
        Ok(ResponseHead {
            status,
            headers_len: headers.len(),
            body_len: body.len(),
        })
    }
}

pub fn config(origin: &str) -> Config<'_> {
    Config {
        secret: SECRET,
        ..Config::new(
            origin,
            CLIENT_ID,
            ClientAuth::SecretPost(CLIENT_SECRET),
            APP,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The flows with a work buffer of a given length
// ---------------------------------------------------------------------------------------------

type Core<'a> = Auth0<'a, InMemory<'a>, &'a ManualClock, DeviceCache>;

const NOW: i64 = 1_893_456_000;

/// The device's provider cache: the compact discovery metadata (about 750 bytes) and the
/// compact JWKS (about 900 bytes for two RSA-2048 keys) each fit 1 KiB; one DPoP nonce slot,
/// for the provider (the one origin the device talks to).
pub type DeviceCache = MemoryCache<1024, 1>;

fn core<'a>(tenant: &'a Tenant, clock: &'a ManualClock) -> Core<'a> {
    Auth0::new(
        config(&tenant.origin),
        InMemory(tenant),
        clock,
        MemoryCache::new(),
    )
    .unwrap()
}

fn login(auth0: &Core<'_>, jar: &mut Jar, len: usize) -> Result<String, AuthError> {
    let mut buf = vec![0u8; len];
    let req = Request::get("/auth/login", &[("cookie", "")]);
    let res = block_on(auth0.login(&req, &mut rand_core::OsRng, &mut buf))?;
    // A discovery document that does not fit the buffer is the SDK's 500 page.
    if res.status != 307 {
        return Err(AuthError::BadRequest("the login did not redirect"));
    }
    jar.apply(&res);
    Ok(res.header("Location").unwrap().to_string())
}

fn callback(
    auth0: &Core<'_>,
    tenant: &Tenant,
    jar: &mut Jar,
    location: &str,
    len: usize,
) -> Result<(), AuthError> {
    let query = tenant.authorize(location);
    let path = format!("/auth/callback?{query}");
    let header = jar.header().to_string();
    let headers = [("cookie", header.as_str())];
    let mut buf = vec![0u8; len];
    let res = block_on(auth0.callback(
        &Request::get(&path, &headers),
        &mut rand_core::OsRng,
        &mut buf,
    ))?;
    // A provider document that does not fit the buffer is the SDK's error page (`least`
    // checks that the largest buffer redirects).
    if res.status != 307 {
        return Err(AuthError::BadRequest("the callback did not redirect"));
    }
    jar.apply(&res);
    Ok(())
}

fn refresh(auth0: &Core<'_>, jar: &mut Jar, len: usize) -> Result<i64, AuthError> {
    let mut buf = vec![0u8; len];
    let opts = AccessTokenOptions {
        refresh: true,
        ..AccessTokenOptions::default()
    };
    let header = jar.header().to_string();
    let t = block_on(auth0.get_access_token(&header, &opts, &mut rand_core::OsRng, &mut buf))?;
    let expires_at = t.expires_at;
    let headers: Response<'_> = t.headers;
    jar.apply(&headers);
    Ok(expires_at)
}

/// The least work buffer with which `f` succeeds, between `lo` (fails) and `hi` (succeeds).
fn least(mut lo: usize, mut hi: usize, mut f: impl FnMut(usize) -> bool) -> usize {
    assert!(f(hi), "fails with {hi} bytes");
    while hi - lo > 16 {
        let mid = (lo + hi) / 2;
        if f(mid) { hi = mid } else { lo = mid }
    }
    hi
}

/// The least work buffer of each flow (login, callback, refresh) with Auth0-sized data, and
/// the session cookie's length.
fn work_buffers() -> ([usize; 3], usize) {
    let tenant = Tenant::new("https://dev-example.us.auth0.com", || NOW);
    assert!(
        (4000..=6144).contains(&tenant.discovery.len()),
        "an Auth0-sized discovery document: {}",
        tenant.discovery.len()
    );
    let big = 256 * 1024;
    let clock = ManualClock::new(NOW);
    let login_need = least(1024, big, |len| {
        let auth0 = core(&tenant, &clock);
        login(&auth0, &mut Jar::new(), len).is_ok()
    });
    let callback_need = least(1024, big, |len| {
        let auth0 = core(&tenant, &clock);
        let mut jar = Jar::new();
        let loc = login(&auth0, &mut jar, big).unwrap();
        let auth0 = core(&tenant, &clock);
        callback(&auth0, &tenant, &mut jar, &loc, len).is_ok()
    });
    let mut session_len = 0;
    let refresh_need = least(1024, big, |len| {
        let auth0 = core(&tenant, &clock);
        let mut jar = Jar::new();
        let loc = login(&auth0, &mut jar, big).unwrap();
        callback(&auth0, &tenant, &mut jar, &loc, big).unwrap();
        session_len = jar.header().len();
        let auth0 = core(&tenant, &clock);
        refresh(&auth0, &mut jar, len).is_ok()
    });
    ([login_need, callback_need, refresh_need], session_len)
}

// ---------------------------------------------------------------------------------------------
// The device: the flows over the embassy transport (TLS 1.3, the host link) against the tenant
// served over HTTPS on the host's 127.0.0.1
// ---------------------------------------------------------------------------------------------

use auth0_edge::embassy::{
    AnchorStore, DnsResolver, EmbassyClock, EmbassyTransport, TransportBuffers, TransportOptions,
    host,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA certificate and the server's chain and key.
struct Chain {
    root: Vec<u8>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A P-256 root and leaf, or an RSA-2048 root and leaf; SAN `localhost` and `127.0.0.1`.
fn chain(rsa: bool) -> Chain {
    let (ca_key, leaf_key) = if rsa {
        (
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(KEY_A, &rcgen::PKCS_RSA_SHA256).unwrap(),
            rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(KEY_B, &rcgen::PKCS_RSA_SHA256).unwrap(),
        )
    } else {
        (
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        )
    };
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "Test root");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    p.not_before = rcgen::date_time_ymd(2024, 6, 1);
    p.not_after = rcgen::date_time_ymd(2040, 1, 1);
    let root = p.self_signed(&ca_key).unwrap();
    let mut p =
        rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2039, 1, 1);
    let leaf = p.signed_by(&leaf_key, &root, &ca_key).unwrap();
    Chain {
        root: root.der().to_vec(),
        chain: vec![leaf.der().clone()],
        key: PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
    }
}

/// Serves `tenant` over HTTPS (TLS 1.3) on the host's 127.0.0.1; returns the port.
fn serve(tenant: Arc<Mutex<Option<Arc<Tenant>>>>, chain: &Chain) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain.chain.clone(), chain.key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                let tenant = tenant.clone();
                tokio::spawn(async move {
                    let Ok(mut s) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut req = Vec::new();
                    let mut buf = [0u8; 4096];
                    let head_end = loop {
                        if let Some(p) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&req[..head_end]).into_owned();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    while req.len() < head_end + length {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    let mut parts = head.split(' ');
                    let method = parts.next().unwrap_or("").to_string();
                    let path = parts.next().unwrap_or("").to_string();
                    let body = String::from_utf8_lossy(&req[head_end..]).into_owned();
                    let t = tenant.lock().unwrap().clone().unwrap();
                    let (status, headers, body) = t.respond(&method, &path, &body);
                    let mut out = format!("HTTP/1.1 {status} OK\r\n{headers}\r\n").into_bytes();
                    out.extend_from_slice(&body);
                    let _ = s.write_all(&out).await;
                    let _ = s.shutdown().await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// The sizes of the flows' futures, and what the flows returned.
#[derive(Debug, Default)]
struct Figures {
    login_future: usize,
    callback_future: usize,
    refresh_future: usize,
    /// The deepest stack each flow's polls used (x86_64 only; 0 elsewhere).
    stacks: [usize; 3],
    sub: String,
    expires_at: i64,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

type DeviceTransport<'a> =
    EmbassyTransport<'a, DnsResolver<'a>, &'a EmbassyClock, rand_core::OsRng>;

/// A login, its callback and a refresh on the device, each flow with the work buffer of `lens`
/// (on the heap, not in the futures: the least each needs, measured in memory, so the figures
/// are shown to hold over TLS too), against the tenant at `https://localhost:port`.
fn device(
    port: u16,
    tenant: Arc<Tenant>,
    root: Vec<u8>,
    lens: [usize; 3],
) -> Result<Figures, String> {
    host::run(&[port], move |stack| async move {
        let store = AnchorStore::<1>::from_der(&[&root]).unwrap();
        let clock = EmbassyClock::new();
        clock.set_unix_time(now());
        let mut buffers: Box<TransportBuffers> = Box::default();
        let transport: DeviceTransport<'_> = EmbassyTransport::new(
            stack,
            DnsResolver::new(stack),
            &clock,
            store.anchors(),
            rand_core::OsRng,
            &mut *buffers,
            TransportOptions::default(),
        );
        let auth0 = Auth0::new(
            config(&tenant.origin),
            transport,
            &clock,
            DeviceCache::new(),
        )
        .unwrap();
        let mut figures = Figures::default();
        let mut jar: Jar = Jar::new();
        let mut rng = rand_core::OsRng;
        let mut buf = vec![0u8; lens[0]];

        let req = Request::get("/auth/login", &[("cookie", "")]);
        let fut = auth0.login(&req, &mut rng, &mut buf);
        figures.login_future = std::mem::size_of_val(&fut);
        let (res, stack) = Peak::new(fut).await;
        figures.stacks[0] = stack;
        let res = res.map_err(|e| format!("login: {e:?}"))?;
        jar.apply(&res);
        let query = tenant.authorize(res.header("Location").unwrap());

        let path = format!("/auth/callback?{query}");
        let header = jar.header().to_string();
        let headers = [("cookie", header.as_str())];
        let req = Request::get(&path, &headers);
        let mut buf = vec![0u8; lens[1]];
        let fut = auth0.callback(&req, &mut rng, &mut buf);
        figures.callback_future = std::mem::size_of_val(&fut);
        let (res, stack) = Peak::new(fut).await;
        figures.stacks[1] = stack;
        let res = res.map_err(|e| format!("callback: {e:?}"))?;
        if res.status != 307 {
            return Err(format!("callback: {} {}", res.status, res.body_str()));
        }
        jar.apply(&res);

        let opts = AccessTokenOptions {
            refresh: true,
            ..AccessTokenOptions::default()
        };
        let header = jar.header().to_string();
        let mut buf = vec![0u8; lens[2]];
        let fut = auth0.get_access_token(&header, &opts, &mut rng, &mut buf);
        figures.refresh_future = std::mem::size_of_val(&fut);
        let (t, stack) = Peak::new(fut).await;
        figures.stacks[2] = stack;
        let t = t.map_err(|e| format!("refresh: {e:?}"))?;
        figures.expires_at = t.expires_at;
        jar.apply(&t.headers);
        let mut buf = vec![0u8; 64 * 1024];
        let s = auth0
            .get_session(jar.header(), &mut buf)
            .await
            .map_err(|e| format!("session: {e:?}"))?
            .ok_or("no session after the refresh")?;
        figures.sub = s.user.get_str("sub").unwrap().as_str().unwrap().to_string();
        Ok(figures)
    })
    .unwrap()
}

// Stack painting: before each poll of a flow, the stack below the polling frame is filled with
// a pattern; after it, the deepest word that changed is that poll's depth. The peak over all
// polls is the flow's stack need: its own frames, the transport's, TLS (the handshake, the
// certificate and signature checks) and the crypto, all of which run inside the flow's polls.
// The embassy-net stack runs in its own task (on a device, its own poll of the same stack), so
// it is not counted here.

/// How deep below the polling frame the stack is painted.
#[cfg(target_arch = "x86_64")]
const DEPTH: usize = 192 * 1024;

#[cfg(target_arch = "x86_64")]
const PATTERN: u64 = 0x5a5a_c3c3_a5a5_3c3c;

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer register, nothing else.
    unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp) };
    sp
}

/// Fills `DEPTH` bytes of the stack below `top`, but the 1 KiB under it (this function's own
/// frame), with [`PATTERN`].
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn paint(top: usize) {
    let mut a = top - DEPTH;
    while a < top - 1024 {
        // SAFETY: below the stack pointer of a thread whose stack is larger than `DEPTH` plus
        // what is in use, in the part of the mapping no frame uses yet.
        unsafe { std::ptr::write_volatile(a as *mut u64, PATTERN) };
        a += 8;
    }
}

/// How many bytes below `top` were written since [`paint`].
#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn used(top: usize) -> usize {
    let mut a = top - DEPTH;
    // SAFETY: the painted part of this thread's stack.
    while a < top && unsafe { std::ptr::read_volatile(a as *const u64) } == PATTERN {
        a += 8;
    }
    top - a
}

/// One poll of `f`, in a frame of its own below the painted top: the flow's own poll function
/// (where the compiler lays out its locals and those of the futures it inlines) is counted,
/// not inlined into [`Peak::poll`]'s frame above the paint.
#[inline(never)]
fn poll_once<F: std::future::Future>(
    f: std::pin::Pin<&mut F>,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<F::Output> {
    f.poll(cx)
}

/// A future's output and the deepest stack its polls used.
struct Peak<F: std::future::Future> {
    inner: std::pin::Pin<Box<F>>,
    peak: usize,
}

impl<F: std::future::Future> Peak<F> {
    fn new(f: F) -> Self {
        Peak {
            inner: Box::pin(f),
            peak: 0,
        }
    }
}

impl<F: std::future::Future> std::future::Future for Peak<F> {
    type Output = (F::Output, usize);

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.get_mut();
        #[cfg(target_arch = "x86_64")]
        let top = {
            let top = stack_pointer();
            paint(top);
            top
        };
        let out = poll_once(this.inner.as_mut(), cx);
        #[cfg(target_arch = "x86_64")]
        {
            let used = used(top);
            // `EMBASSY_RAM_TRACE=1`: where each new peak is, to find the deepest frame (a
            // debugger's watchpoint on that address, EMBEDDED.md).
            if used > this.peak && std::env::var_os("EMBASSY_RAM_TRACE").is_some() {
                eprintln!("new peak: {used} B, deepest word at {:#x}", top - used);
            }
            this.peak = this.peak.max(used);
        }
        out.map(|o| (o, this.peak))
    }
}

/// The issue's budget: the RAM of a login, its callback and a refresh beyond the TLS record
/// buffers.
const BUDGET: usize = 32 * 1024;

/// Everything a flow needs beyond the TLS record buffers.
#[derive(Debug)]
struct Need {
    work_buffer: usize,
    future: usize,
    stack: usize,
    /// The provider cache and the transport itself (without its buffers).
    fixed: usize,
}

impl Need {
    fn total(&self) -> usize {
        self.work_buffer + self.future + self.stack + self.fixed
    }
}

/// The figures of both chains, measured once: (per-flow needs, session cookie length).
fn measure() -> (Vec<(&'static str, [Need; 3])>, usize) {
    let (buffers, session_len) = work_buffers();
    let fixed =
        std::mem::size_of::<DeviceCache>() + std::mem::size_of::<DeviceTransport<'static>>();
    let mut out = Vec::new();
    for rsa in [false, true] {
        let chain = chain(rsa);
        let slot = Arc::new(Mutex::new(None));
        let port = serve(slot.clone(), &chain);
        let tenant = Arc::new(Tenant::new(&format!("https://localhost:{port}"), now));
        *slot.lock().unwrap() = Some(tenant.clone());
        let root = chain.root.clone();
        // The executor runs on a thread with room below its frames for the painting.
        let figures = std::thread::Builder::new()
            .stack_size(4 * 1024 * 1024)
            .spawn(move || device(port, tenant, root, buffers))
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(figures.sub, SUB);
        let futures = [
            figures.login_future,
            figures.callback_future,
            figures.refresh_future,
        ];
        let needs = [0, 1, 2].map(|i| Need {
            work_buffer: buffers[i],
            future: futures[i],
            stack: figures.stacks[i],
            fixed,
        });
        out.push((if rsa { "RSA-2048" } else { "P-256" }, needs));
    }
    (out, session_len)
}

/// The figures of EMBEDDED.md, and the bounds that keep them from growing: a change that makes
/// a flow need more fails here. Run with `--nocapture` to see them. The stack is asserted in
/// release builds only (a debug build's frames are several times larger).
#[test]
fn ram_per_flow_stays_within_its_bounds() {
    let (chains, session_len) = measure();
    eprintln!("session cookie {session_len} B");
    for (chain, needs) in &chains {
        for (flow, n) in ["login", "callback", "refresh"].iter().zip(needs) {
            eprintln!(
                "{chain:>8} {flow:<8} work buffer {:>6}  future {:>6}  stack {:>7}  cache+transport {:>5}  total {:>7} B",
                n.work_buffer,
                n.future,
                n.stack,
                n.fixed,
                n.total()
            );
        }
    }
    assert!(
        (2300..=4096).contains(&session_len),
        "an Auth0-sized session: {session_len}"
    );
    // Upper bounds: today's figures plus a little room (see EMBEDDED.md): at least 512 B of
    // work buffer and of future.
    const WORK: [usize; 3] = [10 * 1024, 12 * 1024, 12 * 1024 + 256];
    const FUTURE: [usize; 3] = [7 * 1024 + 512, 7 * 1024 + 256, 7 * 1024 + 256];
    // The flow's own poll frame included (see `poll_once`); the larger of the two chains'
    // figures plus at least 2 KiB (the release build's inlining moves the stack by a KiB or
    // more when unrelated code of the crate changes).
    const STACK_RELEASE: [usize; 3] = [15 * 1024, 16 * 1024, 16 * 1024 + 512];
    for (chain, needs) in &chains {
        for i in 0..3 {
            let n = &needs[i];
            assert!(n.work_buffer <= WORK[i], "{chain} flow {i}: {n:?}");
            assert!(n.future <= FUTURE[i], "{chain} flow {i}: {n:?}");
            if !cfg!(debug_assertions) && cfg!(target_arch = "x86_64") {
                assert!(n.stack <= STACK_RELEASE[i], "{chain} flow {i}: {n:?}");
            }
            assert!(n.fixed <= 3 * 1024, "{n:?}");
        }
    }
}

/// The issue's target: each flow within 32 KiB beyond the TLS record buffers. Not met yet (see
/// EMBEDDED.md, "What is left"): run with `--ignored --release` to see how far.
#[test]
#[ignore = "issue 11: the flows do not fit 32 KiB yet; see EMBEDDED.md"]
fn ram_per_flow_is_within_32_kib() {
    let (chains, _) = measure();
    for (chain, needs) in &chains {
        for (flow, n) in ["login", "callback", "refresh"].iter().zip(needs) {
            assert!(
                n.total() <= BUDGET,
                "{chain} {flow}: {} B: {n:?}",
                n.total()
            );
        }
    }
}
