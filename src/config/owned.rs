//! [`OwnedConfig`]: a configuration that owns its strings (feature `alloc`), for a server that
//! reads its values at run time; the flows still read the borrowed [`Config`] it lends out.

use super::{AuthorizationParameters, ClientAuth, Config, DpopConfig, Pairs, Routes, Scope, Strs};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The owned strings of a [`Config`]; every other option lives in `options`, whose strings are
/// never read.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Strings {
    domain: String,
    client_id: String,
    client_secret: String,
    app_base_url: String,
    secret: String,
    scope: String,
    scope_map: Vec<(String, String)>,
    audience: Option<String>,
    extra: Vec<(String, String)>,
    routes: [String; 6],
    cookie_name: String,
    cookie_path: String,
    cookie_domain: Option<String>,
    transaction_prefix: String,
    transaction_path: String,
    transaction_domain: Option<String>,
    sign_in_return_to_path: String,
    trusted_audiences: Vec<String>,
    dpop_private: String,
    dpop_public: Option<String>,
}

/// A [`Config`] that owns its strings, so values read at run time (the environment, a file, a
/// secret manager) need no `'static` lifetime. Make one from a borrowed configuration
/// (`OwnedConfig::from(&config)`, which copies it) or from the environment
/// ([`OwnedConfig::from_env`]); read it back with [`OwnedConfig::as_config`], a borrowed view
/// that costs nothing to make.
///
/// ```
/// use auth0_edge::config::{ClientAuth, Config, OwnedConfig};
/// let domain = String::from("tenant.us.auth0.com"); // read at run time
/// let secret = "a-secret-read-at-run-time-of-32-characters-or-more".to_string();
/// let config = Config { secret: &secret, ..Config::new(&domain, "cid", ClientAuth::SecretPost("s"), "https://app.example.com") };
/// let owned = OwnedConfig::from(&config);
/// drop((domain, secret));
/// let owned = owned.with(|c| c.routes.login = "/login");
/// assert_eq!(owned.as_config().domain, "tenant.us.auth0.com");
/// assert_eq!(owned.as_config().routes.login, "/login");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedConfig {
    options: Config<'static>,
    strings: Strings,
}

fn own(s: &str) -> String {
    s.to_string()
}

fn own_pairs(p: Pairs<'_>) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (own(k), own(v))).collect()
}

impl From<&Config<'_>> for OwnedConfig {
    fn from(c: &Config<'_>) -> Self {
        let (scope, scope_map) = match c.authorization_parameters.scope {
            Scope::All(s) => (own(s), Vec::new()),
            Scope::PerAudience(map) => (String::new(), own_pairs(map)),
        };
        let (client_secret, client_auth) = match c.client_auth {
            ClientAuth::SecretPost(s) => (own(s), ClientAuth::SecretPost("")),
            ClientAuth::SecretBasic(s) => (own(s), ClientAuth::SecretBasic("")),
            ClientAuth::PrivateKeyJwt(pem) => (own(pem), ClientAuth::PrivateKeyJwt("")),
            _ => (String::new(), ClientAuth::None),
        };
        let r = &c.routes;
        let strings = Strings {
            domain: own(c.domain),
            client_id: own(c.client_id),
            client_secret,
            app_base_url: own(c.app_base_url),
            secret: own(c.secret),
            scope,
            scope_map,
            audience: c.authorization_parameters.audience.map(own),
            extra: own_pairs(c.authorization_parameters.extra),
            routes: [
                r.login,
                r.logout,
                r.callback,
                r.profile,
                r.access_token,
                r.backchannel_logout,
            ]
            .map(own),
            cookie_name: own(c.session.cookie_name),
            cookie_path: own(c.session.cookie.path),
            cookie_domain: c.session.cookie.domain.map(own),
            transaction_prefix: own(c.transaction.prefix),
            transaction_path: own(c.transaction.cookie.path),
            transaction_domain: c.transaction.cookie.domain.map(own),
            sign_in_return_to_path: own(c.sign_in_return_to_path),
            trusted_audiences: c.id_token_trusted_audiences.iter().map(own).collect(),
            dpop_private: c.dpop.map(|d| own(d.private_key_pem)).unwrap_or_default(),
            dpop_public: c.dpop.and_then(|d| d.public_key_pem).map(own),
        };
        // Every other option; the strings of `options` are never read (`as_config` lends the
        // owned ones).
        let cookie = |o: crate::cookie::CookieOptions<'_>| crate::cookie::CookieOptions {
            path: "",
            domain: None,
            secure: o.secure,
            same_site: o.same_site,
            transient: o.transient,
        };
        let options = Config {
            authorization_parameters: AuthorizationParameters {
                scope: match c.authorization_parameters.scope {
                    Scope::All(_) => Scope::All(""),
                    Scope::PerAudience(_) => Scope::PerAudience(Pairs::EMPTY),
                },
                audience: None,
                extra: Pairs::EMPTY,
            },
            session: super::SessionConfig {
                durations: c.session.durations,
                cookie_name: "",
                cookie: cookie(c.session.cookie),
            },
            transaction: super::TransactionConfig {
                prefix: "",
                max_age: c.transaction.max_age,
                cookie: cookie(c.transaction.cookie),
            },
            enable_parallel_transactions: c.enable_parallel_transactions,
            logout_strategy: c.logout_strategy,
            include_id_token_hint_in_oidc_logout_url: c.include_id_token_hint_in_oidc_logout_url,
            clock_tolerance: c.clock_tolerance,
            no_content_profile_response_when_unauthenticated: c
                .no_content_profile_response_when_unauthenticated,
            enable_access_token_endpoint: c.enable_access_token_endpoint,
            token_refresh_buffer: c.token_refresh_buffer,
            allow_insecure_requests: c.allow_insecure_requests,
            pushed_authorization_requests: c.pushed_authorization_requests,
            mfa_token_ttl: c.mfa_token_ttl,
            dpop: c.dpop.map(|d| DpopConfig {
                private_key_pem: "",
                public_key_pem: None,
                clock_skew: d.clock_skew,
                clock_tolerance: d.clock_tolerance,
                retry_delay_ms: d.retry_delay_ms,
                retry_jitter: d.retry_jitter,
            }),
            ..Config::new("", "", client_auth, "")
        };
        OwnedConfig { options, strings }
    }
}

impl From<Config<'_>> for OwnedConfig {
    fn from(c: Config<'_>) -> Self {
        OwnedConfig::from(&c)
    }
}

impl OwnedConfig {
    /// The configuration as the flows read it, borrowing these strings.
    pub fn as_config(&self) -> Config<'_> {
        let s = &self.strings;
        let o = &self.options;
        let client_auth = match o.client_auth {
            ClientAuth::SecretPost(_) => ClientAuth::SecretPost(&s.client_secret),
            ClientAuth::SecretBasic(_) => ClientAuth::SecretBasic(&s.client_secret),
            ClientAuth::PrivateKeyJwt(_) => ClientAuth::PrivateKeyJwt(&s.client_secret),
            other => other,
        };
        let scope = match o.authorization_parameters.scope {
            Scope::All(_) => Scope::All(&s.scope),
            _ => Scope::PerAudience(Pairs::new(&s.scope_map)),
        };
        let [
            login,
            logout,
            callback,
            profile,
            access_token,
            backchannel_logout,
        ] = &s.routes;
        Config {
            domain: &s.domain,
            client_id: &s.client_id,
            client_auth,
            app_base_url: &s.app_base_url,
            secret: &s.secret,
            authorization_parameters: AuthorizationParameters {
                scope,
                audience: s.audience.as_deref(),
                extra: Pairs::new(&s.extra),
            },
            routes: Routes {
                login,
                logout,
                callback,
                profile,
                access_token,
                backchannel_logout,
            },
            session: super::SessionConfig {
                cookie_name: &s.cookie_name,
                cookie: crate::cookie::CookieOptions {
                    path: &s.cookie_path,
                    domain: s.cookie_domain.as_deref(),
                    ..o.session.cookie
                },
                ..o.session
            },
            transaction: super::TransactionConfig {
                prefix: &s.transaction_prefix,
                cookie: crate::cookie::CookieOptions {
                    path: &s.transaction_path,
                    domain: s.transaction_domain.as_deref(),
                    ..o.transaction.cookie
                },
                ..o.transaction
            },
            sign_in_return_to_path: &s.sign_in_return_to_path,
            id_token_trusted_audiences: Strs::new(&s.trusted_audiences),
            dpop: o.dpop.map(|d| DpopConfig {
                private_key_pem: &s.dpop_private,
                public_key_pem: s.dpop_public.as_deref(),
                ..d
            }),
            ..*o
        }
    }

    /// The same configuration, changed by `f` (which may set strings that live as long as the
    /// program, such as literals): `owned.with(|c| c.routes.login = "/login")`.
    pub fn with(self, f: impl FnOnce(&mut Config<'_>)) -> OwnedConfig {
        let mut c = self.as_config();
        f(&mut c);
        OwnedConfig::from(&c)
    }

    /// The same configuration with DPoP on and signing with `pair` (the SDK's `useDPoP: true`
    /// with `dpopKeyPair`), keeping the DPoP settings it had (or the defaults of
    /// [`DpopConfig::new`]); see [`Config::use_dpop`].
    ///
    /// ```
    /// use auth0_edge::config::{ClientAuth, Config, OwnedConfig};
    /// use auth0_edge::jose::jwk::EcKeyPair;
    /// let secret = "a-secret-read-at-run-time-of-32-characters-or-more";
    /// let owned = OwnedConfig::from(Config { secret, ..Config::new("tenant.auth0.com", "cid", ClientAuth::SecretPost("s"), "https://app.example.com") });
    /// let owned = owned.with_dpop_key_pair(&EcKeyPair::generate(&mut rand_core::OsRng));
    /// assert!(owned.as_config().dpop.is_some());
    /// assert_eq!(owned.validate(), Ok(()));
    /// ```
    #[cfg(feature = "std")]
    pub fn with_dpop_key_pair(self, pair: &crate::jose::jwk::EcKeyPair) -> OwnedConfig {
        let private = pair.private_pem();
        let public = pair.public_pem();
        let settings = self.options.dpop.unwrap_or(DpopConfig::new("", None));
        let c = self.as_config().use_dpop(DpopConfig {
            private_key_pem: &private,
            public_key_pem: Some(&public),
            ..settings
        });
        OwnedConfig::from(&c)
    }

    /// Checks the configuration ([`Config::validate`]).
    pub fn validate(&self) -> Result<(), crate::ConfigError> {
        self.as_config().validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_keeps_every_option() {
        let extra = [("organization", "org_1")];
        let map = [("https://api", "openid read")];
        let trusted = ["https://other"];
        let mut c = Config {
            secret: "a-test-secret-that-is-at-least-32-characters-long!",
            ..Config::new(
                "t.example.com",
                "cid",
                ClientAuth::SecretBasic("s3"),
                "https://app.example.com/base",
            )
        };
        c.authorization_parameters = AuthorizationParameters {
            scope: Scope::PerAudience(Pairs::new(&map)),
            audience: Some("https://api"),
            extra: Pairs::new(&extra),
        };
        c.routes.login = "/in";
        c.routes.backchannel_logout = "/bcl";
        c.session.cookie_name = "sess";
        c.session.cookie.domain = Some("example.com");
        c.session.cookie.transient = true;
        c.session.durations.rolling = false;
        c.transaction.prefix = "__t_";
        c.transaction.max_age = 60;
        c.clock_tolerance = 7;
        c.id_token_trusted_audiences = Strs::new(&trusted);
        c.allow_insecure_requests = true;
        c.pushed_authorization_requests = true;
        c.mfa_token_ttl = 42;
        let owned = OwnedConfig::from(&c);
        assert_eq!(owned.as_config(), c);
        let owned = owned.with(|c| c.routes.logout = "/out");
        assert_eq!(owned.as_config().routes.logout, "/out");
        assert_eq!(owned.as_config().routes.login, "/in");
        assert_eq!(owned.validate(), Ok(()));
    }
}
