//! Configuration: every option of `@auth0/nextjs-auth0` v4 with its default (this file),
//! checked once at construction (`validate.rs`, [`Config::validate`]); with `alloc`, an
//! [`OwnedConfig`] that owns its strings (`owned.rs`); in `std` builds, loading from the SDK's
//! environment variables (`env.rs`, [`OwnedConfig::from_env`]).
//!
//! [`Config`] borrows its strings (lists too: [`Pairs`], [`Strs`]), so it can live in a
//! `static` on a device; a server keeps an [`OwnedConfig`] and lends out [`Config`] views.

use crate::cookie::CookieOptions;
use crate::session::Durations;

#[cfg(feature = "std")]
mod env;
mod lists;
#[cfg(feature = "alloc")]
mod owned;
mod validate;

pub use lists::{PairList, Pairs, StrList, Strs};
#[cfg(feature = "alloc")]
pub use owned::OwnedConfig;

#[cfg(feature = "std")]
pub use env::read_dotenv;

/// The scopes asked for when the configuration names none.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";

/// The scope to request: one for all, or one per audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope<'a> {
    /// The same scope for every audience.
    All(&'a str),
    /// A scope per audience (`(audience, scope)`), as the SDK's scope map: it needs a
    /// configured `audience`, which gets [`DEFAULT_SCOPES`] when the map has no entry for it;
    /// any other audience missing from the map has no configured scope (see
    /// [`Config::scope_for`]).
    PerAudience(Pairs<'a>),
}

/// The authorization parameters sent with every login (`authorizationParameters`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct AuthorizationParameters<'a> {
    /// `scope`, default [`DEFAULT_SCOPES`].
    pub scope: Scope<'a>,
    /// `audience`, the API the access token is for.
    pub audience: Option<&'a str>,
    /// Any other parameters (`organization`, `connection`, `prompt`, …), sent first, in order.
    pub extra: Pairs<'a>,
}

impl Default for AuthorizationParameters<'_> {
    fn default() -> Self {
        AuthorizationParameters {
            scope: Scope::All(DEFAULT_SCOPES),
            audience: None,
            extra: Pairs::EMPTY,
        }
    }
}

/// The paths of the SDK's routes (`routes`), relative to the base path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct Routes<'a> {
    /// Default `/auth/login`.
    pub login: &'a str,
    /// Default `/auth/logout`.
    pub logout: &'a str,
    /// Default `/auth/callback`.
    pub callback: &'a str,
    /// Default `/auth/profile`.
    pub profile: &'a str,
    /// Default `/auth/access-token`.
    pub access_token: &'a str,
    /// Default `/auth/backchannel-logout`.
    pub backchannel_logout: &'a str,
}

impl Default for Routes<'_> {
    fn default() -> Self {
        Routes {
            login: "/auth/login",
            logout: "/auth/logout",
            callback: "/auth/callback",
            profile: "/auth/profile",
            access_token: "/auth/access-token",
            backchannel_logout: "/auth/backchannel-logout",
        }
    }
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth<'a> {
    /// `client_secret_post`: `client_id` and `client_secret` in the form body (the SDK's
    /// default).
    SecretPost(&'a str),
    /// `client_secret_basic`: HTTP Basic with `client_id:client_secret`.
    SecretBasic(&'a str),
    /// `private_key_jwt` (RFC 7523): an ES256 client assertion signed with this PKCS#8 PEM key.
    PrivateKeyJwt(&'a str),
    /// A public client (no authentication; PKCE only).
    None,
}

/// Which logout URL to send the user to (`logoutStrategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutStrategy {
    /// `oidc` when the provider has an `end_session_endpoint`, else `v2`.
    #[default]
    Auto,
    /// OpenID Connect RP-Initiated Logout.
    Oidc,
    /// Auth0's `/v2/logout`.
    V2,
}

/// Options of the session cookie and lifetime (`session`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over `Config::new`
pub struct SessionConfig<'a> {
    /// `rolling`, `absoluteDuration`, `inactivityDuration`.
    pub durations: Durations,
    /// `cookie.name`, default `__session`.
    pub cookie_name: &'a str,
    /// `cookie.*`: path, domain, secure, sameSite, transient.
    pub cookie: CookieOptions<'a>,
}

impl Default for SessionConfig<'_> {
    fn default() -> Self {
        SessionConfig {
            durations: Durations::default(),
            cookie_name: crate::session::DEFAULT_COOKIE_NAME,
            cookie: CookieOptions::default(),
        }
    }
}

/// Options of the transaction cookie (`transactionCookie`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over `Config::new`
pub struct TransactionConfig<'a> {
    /// `prefix`, default `__txn_`.
    pub prefix: &'a str,
    /// `maxAge` in seconds, default 3600.
    pub max_age: u64,
    /// Path, domain, secure, sameSite (never transient).
    pub cookie: CookieOptions<'a>,
}

impl Default for TransactionConfig<'_> {
    fn default() -> Self {
        TransactionConfig {
            prefix: crate::oauth::transaction::DEFAULT_PREFIX,
            max_age: crate::oauth::transaction::DEFAULT_MAX_AGE,
            cookie: CookieOptions::default(),
        }
    }
}

/// The whole configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over `Config::new`
pub struct Config<'a> {
    /// `AUTH0_DOMAIN`: a bare host (`tenant.auth0.com`, meaning https) or a URL.
    pub domain: &'a str,
    /// `AUTH0_CLIENT_ID`.
    pub client_id: &'a str,
    /// How to authenticate at the token endpoint.
    pub client_auth: ClientAuth<'a>,
    /// `APP_BASE_URL`: the application's origin and base path (`http://localhost:3000`).
    pub app_base_url: &'a str,
    /// `AUTH0_SECRET`: at least 32 characters; the cookie encryption key is derived from it.
    pub secret: &'a str,
    /// `authorizationParameters`.
    pub authorization_parameters: AuthorizationParameters<'a>,
    /// `routes`.
    pub routes: Routes<'a>,
    /// `session`.
    pub session: SessionConfig<'a>,
    /// `transactionCookie`.
    pub transaction: TransactionConfig<'a>,
    /// `enableParallelTransactions`, default true: one transaction cookie per login.
    pub enable_parallel_transactions: bool,
    /// `logoutStrategy`, default `auto`.
    pub logout_strategy: LogoutStrategy,
    /// `includeIdTokenHintInOIDCLogoutUrl`, default true.
    pub include_id_token_hint_in_oidc_logout_url: bool,
    /// `signInReturnToPath`, default `/`.
    pub sign_in_return_to_path: &'a str,
    /// Seconds of clock tolerance for ID tokens (default 30).
    pub clock_tolerance: i64,
    /// Audiences besides the client id that an ID token's `aud` may list (default none:
    /// OpenID Connect Core §3.1.3.7 refuses untrusted extra audiences).
    pub id_token_trusted_audiences: Strs<'a>,
    /// `noContentProfileResponseWhenUnauthenticated`: 204 instead of 401 from the profile
    /// route.
    pub no_content_profile_response_when_unauthenticated: bool,
    /// `enableAccessTokenEndpoint`, default true.
    pub enable_access_token_endpoint: bool,
    /// `tokenRefreshBuffer`: refresh this many seconds before expiry (default 0).
    pub token_refresh_buffer: i64,
    /// Allow `http://` for a non-loopback provider (dangerous; tests only).
    pub allow_insecure_requests: bool,
    /// DPoP-bound tokens, when set.
    pub dpop: Option<DpopConfig<'a>>,
    /// `pushedAuthorizationRequests` (env `AUTH0_PUSHED_AUTHORIZATION_REQUESTS=true`, beyond
    /// the SDK): login pushes the authorization parameters to the provider (RFC 9126) and
    /// redirects with only `client_id` and `request_uri`. Default false.
    pub pushed_authorization_requests: bool,
    /// `AUTH0_MFA_TOKEN_TTL`: seconds the encrypted `mfa_token` of an `mfa_required` answer is
    /// valid (default 300).
    pub mfa_token_ttl: i64,
}

impl<'a> Config<'a> {
    /// A configuration with the SDK's defaults for everything but the required values.
    /// The secret must still be set ([`Config::secret`]).
    pub fn new(
        domain: &'a str,
        client_id: &'a str,
        client_auth: ClientAuth<'a>,
        app_base_url: &'a str,
    ) -> Self {
        Config {
            domain,
            client_id,
            client_auth,
            app_base_url,
            secret: "",
            authorization_parameters: AuthorizationParameters::default(),
            routes: Routes::default(),
            session: SessionConfig::default(),
            transaction: TransactionConfig::default(),
            enable_parallel_transactions: true,
            logout_strategy: LogoutStrategy::Auto,
            include_id_token_hint_in_oidc_logout_url: true,
            sign_in_return_to_path: "/",
            clock_tolerance: 30,
            id_token_trusted_audiences: Strs::EMPTY,
            no_content_profile_response_when_unauthenticated: false,
            enable_access_token_endpoint: true,
            token_refresh_buffer: 0,
            allow_insecure_requests: false,
            dpop: None,
            pushed_authorization_requests: false,
            mfa_token_ttl: crate::oauth::mfa::DEFAULT_MFA_TOKEN_TTL,
        }
    }

    /// The domain as a URL origin: `https://` + a bare host, or the URL as given without a
    /// trailing slash. Returns the scheme and the rest (`("https", "tenant.auth0.com")`).
    pub fn domain_parts(&self) -> (&'a str, &'a str) {
        let d = self.domain.trim_end_matches('/');
        if let Some(rest) = d.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = d.strip_prefix("http://") {
            ("http", rest)
        } else {
            ("https", d)
        }
    }

    /// The configured scope for `audience` (`None`: no audience), as the SDK's
    /// `getScopeForAudience` after `ensureDefaultScope`: a single scope for every audience; or,
    /// from a scope map, the audience's entry, [`DEFAULT_SCOPES`] for the configured audience
    /// when the map lacks it, and `None` for any other audience the map lacks (or no audience).
    pub fn scope_for(&self, audience: Option<&str>) -> Option<&'a str> {
        match self.authorization_parameters.scope {
            Scope::All(s) => Some(s),
            Scope::PerAudience(map) => {
                let a = audience?;
                map.iter()
                    .find(|(k, _)| *k == a)
                    .map(|(_, s)| s)
                    .or_else(|| {
                        (Some(a) == self.authorization_parameters.audience)
                            .then_some(DEFAULT_SCOPES)
                    })
            }
        }
    }

    /// The application base URL without a trailing slash.
    pub fn base_url(&self) -> &'a str {
        self.app_base_url.trim_end_matches('/')
    }

    /// The session cookie options in effect: `Secure` is forced on when the application base
    /// URL is `https`, as the SDK does.
    pub fn session_cookie(&self) -> CookieOptions<'a> {
        let mut c = self.session.cookie;
        c.secure |= self.base_is_https();
        c
    }

    /// The transaction cookie options in effect (`Secure` forced on for an `https` base URL).
    pub fn transaction_cookie(&self) -> CookieOptions<'a> {
        let mut c = self.transaction.cookie;
        c.secure |= self.base_is_https();
        c.transient = false;
        c
    }

    fn base_is_https(&self) -> bool {
        self.app_base_url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }
}

/// The default of [`DpopConfig::clock_skew`] (`AUTH0_DPOP_CLOCK_SKEW`): 0 seconds.
pub const DEFAULT_DPOP_CLOCK_SKEW: i64 = 0;
/// The default of [`DpopConfig::clock_tolerance`] (`AUTH0_DPOP_CLOCK_TOLERANCE`): 30 seconds,
/// oauth4webapi's default, the same as [`Config::clock_tolerance`]'s.
pub const DEFAULT_DPOP_CLOCK_TOLERANCE: i64 = 30;
/// The default of [`DpopConfig::retry_delay_ms`] (`AUTH0_RETRY_DELAY`): 100 ms.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 100;

/// DPoP settings (`useDPoP`, `dpopKeyPair`, `dpopOptions`; `AUTH0_DPOP_*`, `AUTH0_RETRY_*`).
/// `Config::dpop` being `Some` is the SDK's `useDPoP: true`: every token request then carries a
/// proof, logins send `dpop_jkt`, and DPoP-bound tokens are sent as `Authorization: DPoP`.
///
/// ```
/// use auth0_edge::config::{ClientAuth, Config, DpopConfig};
/// # let (private_pem, public_pem) = ("-----BEGIN PRIVATE KEY-----…", "-----BEGIN PUBLIC KEY-----…");
/// let config = Config::new("tenant.auth0.com", "cid", ClientAuth::SecretPost("s"), "https://app.example.com")
///     .use_dpop(DpopConfig { clock_skew: 120, ..DpopConfig::new(private_pem, Some(public_pem)) });
/// assert_eq!((config.clock_skew(), config.jwt_clock_tolerance()), (120, 30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over `DpopConfig::new`
pub struct DpopConfig<'a> {
    /// The private key, PKCS#8 (or SEC1) PEM, P-256 (`AUTH0_DPOP_PRIVATE_KEY`).
    pub private_key_pem: &'a str,
    /// The public key, SPKI PEM, checked against the private key when given
    /// (`AUTH0_DPOP_PUBLIC_KEY`).
    pub public_key_pem: Option<&'a str>,
    /// Seconds added to the clock for the protocol's times (`AUTH0_DPOP_CLOCK_SKEW`, default
    /// 0; positive when the local clock is behind): the proofs' `iat`, the client assertion's
    /// `iat`/`exp`, and the ID-token time checks, as oauth4webapi's `clockSkew` (see
    /// [`Config::clock_skew`]).
    pub clock_skew: i64,
    /// Seconds of tolerance of the ID-token time checks while DPoP is on
    /// (`AUTH0_DPOP_CLOCK_TOLERANCE`, default 30): the SDK gives `dpopOptions.clockTolerance`
    /// to oauth4webapi as the client's `clockTolerance`, so it replaces
    /// [`Config::clock_tolerance`] (see [`Config::jwt_clock_tolerance`]).
    pub clock_tolerance: i64,
    /// Delay before the one `use_dpop_nonce` retry, in milliseconds (`AUTH0_RETRY_DELAY`,
    /// default 100).
    pub retry_delay_ms: u64,
    /// Whether the delay is jittered to `delay × (0.5 + random × 0.5)` (`AUTH0_RETRY_JITTER`,
    /// default true).
    pub retry_jitter: bool,
}

impl<'a> DpopConfig<'a> {
    /// DPoP with this key pair (PEM) and the SDK's defaults: no skew, 30 s of tolerance, a
    /// jittered 100 ms before the nonce retry. With an `EcKeyPair` in hand, use
    /// `OwnedConfig::with_dpop_key_pair`.
    pub const fn new(private_key_pem: &'a str, public_key_pem: Option<&'a str>) -> Self {
        DpopConfig {
            private_key_pem,
            public_key_pem,
            clock_skew: DEFAULT_DPOP_CLOCK_SKEW,
            clock_tolerance: DEFAULT_DPOP_CLOCK_TOLERANCE,
            retry_delay_ms: DEFAULT_RETRY_DELAY_MS,
            retry_jitter: true,
        }
    }
}

impl<'a> Config<'a> {
    /// Turns DPoP on (the SDK's `useDPoP: true` with `dpopKeyPair` and `dpopOptions`):
    /// sets [`Config::dpop`], and [`Config::clock_tolerance`] to the DPoP tolerance, as the SDK
    /// gives it to oauth4webapi for every check.
    pub fn use_dpop(mut self, dpop: DpopConfig<'a>) -> Self {
        self.clock_tolerance = dpop.clock_tolerance;
        self.dpop = Some(dpop);
        self
    }

    /// Seconds added to the clock for the protocol's times (oauth4webapi's `clockSkew`): the
    /// DPoP proofs' `iat`, the client assertion's `iat`, `nbf` and `exp`, and the ID-token time
    /// checks. [`DpopConfig::clock_skew`] with DPoP on, else 0, as in the SDK.
    pub fn clock_skew(&self) -> i64 {
        self.dpop.map_or(0, |d| d.clock_skew)
    }

    /// Seconds of tolerance of the ID-token time checks (oauth4webapi's `clockTolerance`):
    /// [`DpopConfig::clock_tolerance`] with DPoP on, else [`Config::clock_tolerance`].
    pub fn jwt_clock_tolerance(&self) -> i64 {
        self.dpop
            .map_or(self.clock_tolerance, |d| d.clock_tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigError;
    use crate::cookie::SameSite;

    fn base() -> Config<'static> {
        Config {
            secret: "a-test-secret-that-is-at-least-32-characters-long!",
            ..Config::new(
                "tenant.auth0.com",
                "cid",
                ClientAuth::SecretPost("s"),
                "http://localhost:3000",
            )
        }
    }

    #[test]
    fn defaults_validate() {
        assert_eq!(base().validate(), Ok(()));
        assert_eq!(base().domain_parts(), ("https", "tenant.auth0.com"));
        let c = Config {
            domain: "https://tenant.auth0.com/",
            ..base()
        };
        assert_eq!(c.domain_parts(), ("https", "tenant.auth0.com"));
        assert!(!base().session_cookie().secure);
        let s = Config {
            app_base_url: "https://app.example.com",
            ..base()
        };
        assert!(s.session_cookie().secure && s.transaction_cookie().secure);
    }

    #[test]
    fn errors_name_the_option() {
        let cases: [(Config<'_>, &str); 8] = [
            (
                Config {
                    domain: "",
                    ..base()
                },
                "AUTH0_DOMAIN",
            ),
            (
                Config {
                    domain: "http://tenant.auth0.com",
                    ..base()
                },
                "AUTH0_DOMAIN",
            ),
            (
                Config {
                    domain: "tenant.auth0.com/path",
                    ..base()
                },
                "AUTH0_DOMAIN",
            ),
            (
                Config {
                    client_id: "",
                    ..base()
                },
                "AUTH0_CLIENT_ID",
            ),
            (
                Config {
                    app_base_url: "localhost:3000",
                    ..base()
                },
                "APP_BASE_URL",
            ),
            (
                Config {
                    client_auth: ClientAuth::SecretPost(""),
                    ..base()
                },
                "AUTH0_CLIENT_SECRET",
            ),
            (
                Config {
                    client_auth: ClientAuth::PrivateKeyJwt("nope"),
                    ..base()
                },
                "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
            ),
            (
                Config {
                    authorization_parameters: AuthorizationParameters {
                        scope: Scope::All("profile"),
                        ..AuthorizationParameters::default()
                    },
                    ..base()
                },
                "authorization_parameters.scope",
            ),
        ];
        for (c, option) in cases {
            match c.validate() {
                Err(ConfigError::Invalid { option: o, .. }) => assert_eq!(o, option),
                other => panic!("{option}: {other:?}"),
            }
        }
        // Loopback http is fine, and so is any http with the dangerous option.
        assert!(
            Config {
                domain: "http://127.0.0.1:9000",
                ..base()
            }
            .validate()
            .is_ok()
        );
        assert!(
            Config {
                domain: "http://idp.test",
                allow_insecure_requests: true,
                ..base()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn scope_per_audience() {
        let map = [("https://api", "openid read")];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::PerAudience(Pairs::new(&map)),
                audience: Some("https://default"),
                extra: Pairs::EMPTY,
            },
            ..base()
        };
        assert_eq!(c.scope_for(Some("https://api")), Some("openid read"));
        // The configured audience gets the default scopes; any other gets none (the SDK's
        // ensureDefaultScope and getScopeForAudience).
        assert_eq!(c.scope_for(Some("https://default")), Some(DEFAULT_SCOPES));
        assert_eq!(c.scope_for(Some("other")), None);
        assert_eq!(c.scope_for(None), None);
        assert_eq!(c.validate(), Ok(()));
        // A map needs an audience to look the scope up with.
        let no_audience = Config {
            authorization_parameters: AuthorizationParameters {
                audience: None,
                ..c.authorization_parameters
            },
            ..c
        };
        assert!(matches!(
            no_audience.validate(),
            Err(ConfigError::Invalid {
                option: "authorization_parameters.scope",
                ..
            })
        ));
        // Only the default audience's scope must include openid (an API's need not).
        let api_only = [("https://api", "read:data")];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::PerAudience(Pairs::new(&api_only)),
                ..c.authorization_parameters
            },
            ..c
        };
        assert_eq!(c.validate(), Ok(()));
    }

    #[cfg(feature = "std")]
    #[test]
    fn from_env_names_the_variable() {
        extern crate std;
        use std::collections::HashMap;
        use std::string::String;
        let mut env: HashMap<&str, &str> = HashMap::from([
            ("AUTH0_DOMAIN", "Tenant.Auth0.com"),
            ("AUTH0_CLIENT_ID", "cid"),
            ("AUTH0_CLIENT_SECRET", "cs"),
            (
                "AUTH0_SECRET",
                "a-test-secret-that-is-at-least-32-characters-long!",
            ),
            ("APP_BASE_URL", "https://app.example.com"),
            ("AUTH0_COOKIE_SAME_SITE", "strict"),
            ("AUTH0_COOKIE_TRANSIENT", "true"),
        ]);
        let load = |env: &HashMap<&str, &str>| {
            crate::config::OwnedConfig::from_lookup(|k| env.get(k).map(|v| String::from(*v)))
        };
        let owned = load(&env).unwrap();
        let c = owned.as_config();
        assert_eq!(c.domain, "tenant.auth0.com");
        assert_eq!(c.session.cookie.same_site, SameSite::Strict);
        assert!(c.session.cookie.transient);
        assert!(!c.transaction_cookie().transient);
        assert!(c.session_cookie().secure);
        assert_eq!(c.client_auth, ClientAuth::SecretPost("cs"));
        env.insert("AUTH0_COOKIE_SAME_SITE", "sideways");
        assert!(matches!(
            load(&env),
            Err(ConfigError::Invalid {
                option: "AUTH0_COOKIE_SAME_SITE",
                ..
            })
        ));
        env.insert("AUTH0_COOKIE_SAME_SITE", "lax");
        env.insert("AUTH0_SECRET", "short");
        assert!(matches!(
            load(&env),
            Err(ConfigError::SecretTooShort { .. })
        ));
        env.remove("AUTH0_SECRET");
        assert!(matches!(
            load(&env),
            Err(ConfigError::Invalid {
                option: "AUTH0_SECRET",
                ..
            })
        ));
        env.insert(
            "AUTH0_SECRET",
            "a-test-secret-that-is-at-least-32-characters-long!",
        );
        env.remove("AUTH0_CLIENT_SECRET");
        assert!(matches!(
            load(&env),
            Err(ConfigError::Invalid {
                option: "AUTH0_CLIENT_SECRET",
                ..
            })
        ));
        env.insert("AUTH0_CLIENT_SECRET", "cs");
        // DPoP: a key pair turns it on; every DPoP variable is named when it is wrong.
        let invalid = |env: &HashMap<&str, &str>| match load(env) {
            Err(ConfigError::Invalid { option, .. }) => option,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        };
        let pair = crate::jose::jwk::EcKeyPair::generate(&mut rand_core::OsRng);
        let other = crate::jose::jwk::EcKeyPair::generate(&mut rand_core::OsRng);
        let (private, public, other_public) =
            (pair.private_pem(), pair.public_pem(), other.public_pem());
        assert!(
            load(&env).unwrap().as_config().dpop.is_none(),
            "no keys, no DPoP"
        );
        env.insert("AUTH0_DPOP_PRIVATE_KEY", &private);
        assert_eq!(invalid(&env), "AUTH0_DPOP_PUBLIC_KEY", "half a key pair");
        env.insert("AUTH0_DPOP_PUBLIC_KEY", &public);
        let owned = load(&env).unwrap();
        let d = owned.as_config().dpop.expect("both keys: DPoP on");
        assert_eq!(
            (
                d.clock_skew,
                d.clock_tolerance,
                d.retry_delay_ms,
                d.retry_jitter
            ),
            (0, 30, 100, true),
            "the SDK's defaults"
        );
        // A PEM on one line, with `\n` for its line breaks (as .env files often hold them).
        let one_line = public.replace('\n', "\\n");
        env.insert("AUTH0_DPOP_PUBLIC_KEY", &one_line);
        assert!(load(&env).unwrap().as_config().dpop.is_some());
        env.insert("AUTH0_DPOP_PUBLIC_KEY", &public);
        for (k, v, at) in [
            ("AUTH0_DPOP_CLOCK_SKEW", "-120", 0),
            ("AUTH0_DPOP_CLOCK_TOLERANCE", "90", 1),
            ("AUTH0_RETRY_DELAY", "250", 2),
            ("AUTH0_RETRY_JITTER", "FALSE", 3),
        ] {
            env.insert(k, v);
            let owned = load(&env).unwrap();
            let c = owned.as_config();
            let d = c.dpop.unwrap();
            let got = [
                d.clock_skew,
                d.clock_tolerance,
                i64::try_from(d.retry_delay_ms).unwrap(),
                i64::from(d.retry_jitter),
            ];
            let want = [-120, 90, 250, 0];
            assert_eq!(got[..=at], want[..=at], "{k}");
            assert_eq!(c.clock_skew(), -120);
        }
        assert_eq!(load(&env).unwrap().as_config().jwt_clock_tolerance(), 90);
        env.insert("AUTH0_USE_DPOP", "false");
        assert!(
            load(&env).unwrap().as_config().dpop.is_none(),
            "AUTH0_USE_DPOP=false"
        );
        env.insert("AUTH0_USE_DPOP", "maybe");
        assert_eq!(invalid(&env), "AUTH0_USE_DPOP");
        env.insert("AUTH0_USE_DPOP", "true");
        for (k, v) in [
            ("AUTH0_DPOP_CLOCK_SKEW", "soon"),
            ("AUTH0_DPOP_CLOCK_TOLERANCE", "-1"),
            ("AUTH0_RETRY_DELAY", "-5"),
            ("AUTH0_RETRY_JITTER", "sometimes"),
            (
                "AUTH0_DPOP_PRIVATE_KEY",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            ),
            ("AUTH0_DPOP_PUBLIC_KEY", other_public.as_str()),
            ("AUTH0_DPOP_PUBLIC_KEY", "not a key"),
        ] {
            let before = env.insert(k, v);
            assert_eq!(invalid(&env), k, "{k}={v}");
            if let Some(b) = before {
                env.insert(k, b);
            }
        }
        env.remove("AUTH0_DPOP_PRIVATE_KEY");
        env.remove("AUTH0_DPOP_PUBLIC_KEY");
        assert_eq!(
            invalid(&env),
            "AUTH0_DPOP_PRIVATE_KEY",
            "AUTH0_USE_DPOP=true needs the keys"
        );
    }
}
