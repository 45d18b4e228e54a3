//! [`OwnedConfig::from_env`]: the SDK's environment variables (and a few beyond it) mapped onto the
//! options, and [`read_dotenv`] for `.env` files; `std` builds only.

use super::{ClientAuth, Config, DpopConfig, OwnedConfig, Scope};
use crate::ConfigError;
use crate::cookie::{CookieOptions, SameSite};

impl OwnedConfig {
    /// Loads the configuration from the environment, with the SDK's variable names:
    /// `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
    /// `AUTH0_CLIENT_ASSERTION_SIGNING_KEY`, `AUTH0_CLIENT_ASSERTION_SIGNING_ALG`,
    /// `AUTH0_SECRET`, `APP_BASE_URL`, `AUTH0_COOKIE_DOMAIN`, `AUTH0_COOKIE_PATH` (else
    /// `NEXT_PUBLIC_BASE_PATH`), `AUTH0_COOKIE_TRANSIENT`, `AUTH0_COOKIE_SECURE`,
    /// `AUTH0_COOKIE_SAME_SITE`, `NEXT_PUBLIC_LOGIN_ROUTE`, `NEXT_PUBLIC_PROFILE_ROUTE`,
    /// `NEXT_PUBLIC_ACCESS_TOKEN_ROUTE`, `AUTH0_DPOP_PUBLIC_KEY`, `AUTH0_DPOP_PRIVATE_KEY`,
    /// `AUTH0_DPOP_CLOCK_SKEW`, `AUTH0_DPOP_CLOCK_TOLERANCE`, `AUTH0_RETRY_DELAY`,
    /// `AUTH0_RETRY_JITTER`; and, beyond the SDK, `AUTH0_USE_DPOP`, `AUTH0_SCOPE`,
    /// `AUTH0_AUDIENCE` and `AUTH0_ALLOW_INSECURE_REQUESTS`.
    ///
    /// DPoP is on when both `AUTH0_DPOP_PRIVATE_KEY` and `AUTH0_DPOP_PUBLIC_KEY` are set (a
    /// PEM on one line with `\n` for its line breaks is accepted), unless `AUTH0_USE_DPOP=false`;
    /// half a key pair, keys that are not P-256 or do not match are errors naming the variable.
    ///
    /// The result is checked like [`Config::validate`]; an error names the variable. Change
    /// other options with [`OwnedConfig::with`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`OwnedConfig::from_env`] with another source of variables (a `.env` file, a test).
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<std::string::String>,
    ) -> Result<Self, ConfigError> {
        use std::string::String;
        let get = |k: &str| {
            get(k)
                .map(|v| String::from(v.trim()))
                .filter(|v| !v.is_empty())
        };
        let flag = |k: &str| get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let int = |k: &'static str, default: i64| -> Result<i64, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                    option: k,
                    reason: "must be a whole number",
                }),
            }
        };
        let secret = get("AUTH0_SECRET").ok_or(ConfigError::Invalid {
            option: "AUTH0_SECRET",
            reason: "is required: generate one with `openssl rand -hex 32`",
        })?;
        let assertion_key = get("AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
        let client_secret = get("AUTH0_CLIENT_SECRET");
        let client_auth = match (&assertion_key, &client_secret) {
            (Some(key), _) => {
                let alg =
                    get("AUTH0_CLIENT_ASSERTION_SIGNING_ALG").unwrap_or_else(|| "RS256".into());
                if alg != "ES256" {
                    return Err(ConfigError::Invalid {
                        option: "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
                        reason: "only ES256 client assertions are supported: use a P-256 key and set it to ES256",
                    });
                }
                ClientAuth::PrivateKeyJwt(key)
            }
            (None, Some(s)) => ClientAuth::SecretPost(s),
            (None, None) => {
                return Err(ConfigError::Invalid {
                    option: "AUTH0_CLIENT_SECRET",
                    reason: "is required (or AUTH0_CLIENT_ASSERTION_SIGNING_KEY for private_key_jwt)",
                });
            }
        };
        let domain = get("AUTH0_DOMAIN").unwrap_or_default().to_ascii_lowercase();
        let client_id = get("AUTH0_CLIENT_ID").unwrap_or_default();
        let app_base_url = get("APP_BASE_URL").unwrap_or_default();
        let scope = get("AUTH0_SCOPE");
        let audience = get("AUTH0_AUDIENCE");
        let cookie_domain = get("AUTH0_COOKIE_DOMAIN");
        let cookie_path = get("AUTH0_COOKIE_PATH").or_else(|| get("NEXT_PUBLIC_BASE_PATH"));
        let routes = [
            get("NEXT_PUBLIC_LOGIN_ROUTE"),
            get("NEXT_PUBLIC_PROFILE_ROUTE"),
            get("NEXT_PUBLIC_ACCESS_TOKEN_ROUTE"),
        ];
        // A PEM written on one line (`\n` for each line break, as `.env` files often hold them)
        // is read as the PEM it stands for.
        let pem = |k: &str| get(k).map(|v| v.replace("\\n", "\n"));
        let dpop_private = pem("AUTH0_DPOP_PRIVATE_KEY");
        let dpop_public = pem("AUTH0_DPOP_PUBLIC_KEY");
        let dpop = dpop_settings(&get, &dpop_private, &dpop_public)?;

        let mut c = Config::new(&domain, &client_id, client_auth, &app_base_url);
        c.secret = &secret;
        if let Some(scope) = &scope {
            c.authorization_parameters.scope = Scope::All(scope);
        }
        c.authorization_parameters.audience = audience.as_deref();
        let cookie = &mut c.session.cookie;
        cookie.domain = cookie_domain.as_deref();
        cookie.path = cookie_path.as_deref().unwrap_or("/");
        cookie.secure = flag("AUTH0_COOKIE_SECURE");
        cookie.transient = flag("AUTH0_COOKIE_TRANSIENT");
        if let Some(s) = get("AUTH0_COOKIE_SAME_SITE") {
            cookie.same_site = SameSite::parse(&s).ok_or(ConfigError::Invalid {
                option: "AUTH0_COOKIE_SAME_SITE",
                reason: "must be lax, strict or none",
            })?;
        }
        c.transaction.cookie = CookieOptions {
            transient: false,
            ..*cookie
        };
        let [login, profile, access_token] = &routes;
        if let Some(r) = login {
            c.routes.login = r;
        }
        if let Some(r) = profile {
            c.routes.profile = r;
        }
        if let Some(r) = access_token {
            c.routes.access_token = r;
        }
        if let (Some(settings), Some(private_key_pem)) = (dpop, &dpop_private) {
            c = c.use_dpop(DpopConfig {
                private_key_pem,
                public_key_pem: dpop_public.as_deref(),
                ..settings
            });
        }
        c.allow_insecure_requests = flag("AUTH0_ALLOW_INSECURE_REQUESTS");
        c.pushed_authorization_requests = flag("AUTH0_PUSHED_AUTHORIZATION_REQUESTS");
        c.mfa_token_ttl = match int("AUTH0_MFA_TOKEN_TTL", c.mfa_token_ttl)? {
            t if t > 0 => t,
            _ => {
                return Err(ConfigError::Invalid {
                    option: "AUTH0_MFA_TOKEN_TTL",
                    reason: "must be a positive number of seconds",
                });
            }
        };
        c.validate()?;
        Ok(OwnedConfig::from(&c))
    }
}

/// Whether the environment turns DPoP on, and its settings (with empty keys, filled in by the
/// caller): on when both `AUTH0_DPOP_PRIVATE_KEY` and `AUTH0_DPOP_PUBLIC_KEY` are set, unless
/// `AUTH0_USE_DPOP=false`. One half of the key pair without the other, or
/// `AUTH0_USE_DPOP=true` without keys, is an error naming the missing variable (the SDK warns
/// and silently sends Bearer tokens; failing at start is safer).
fn dpop_settings(
    get: &impl Fn(&str) -> Option<std::string::String>,
    private: &Option<std::string::String>,
    public: &Option<std::string::String>,
) -> Result<Option<DpopConfig<'static>>, ConfigError> {
    let invalid = |option, reason| Err(ConfigError::Invalid { option, reason });
    let on = match get("AUTH0_USE_DPOP") {
        None => private.is_some() || public.is_some(),
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(_) => return invalid("AUTH0_USE_DPOP", "must be true or false"),
    };
    if !on {
        return Ok(None);
    }
    match (private, public) {
        (Some(_), Some(_)) => {}
        (None, _) => {
            return invalid(
                "AUTH0_DPOP_PRIVATE_KEY",
                "is required for DPoP (with AUTH0_DPOP_PUBLIC_KEY): make a key pair with `auth0-edge dpop keygen`, or set AUTH0_USE_DPOP=false",
            );
        }
        (Some(_), None) => {
            return invalid(
                "AUTH0_DPOP_PUBLIC_KEY",
                "is required with AUTH0_DPOP_PRIVATE_KEY (both halves of the key pair), or set AUTH0_USE_DPOP=false",
            );
        }
    }
    let int = |k: &'static str, default: i64| -> Result<i64, ConfigError> {
        match get(k) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                option: k,
                reason: "must be a whole number",
            }),
        }
    };
    let delay = int(
        "AUTH0_RETRY_DELAY",
        i64::try_from(super::DEFAULT_RETRY_DELAY_MS).unwrap_or(100),
    )?;
    let Ok(retry_delay_ms) = u64::try_from(delay) else {
        return invalid("AUTH0_RETRY_DELAY", "must not be negative (milliseconds)");
    };
    let retry_jitter = match get("AUTH0_RETRY_JITTER") {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return invalid("AUTH0_RETRY_JITTER", "must be true or false"),
    };
    Ok(Some(DpopConfig {
        clock_skew: int("AUTH0_DPOP_CLOCK_SKEW", super::DEFAULT_DPOP_CLOCK_SKEW)?,
        clock_tolerance: int(
            "AUTH0_DPOP_CLOCK_TOLERANCE",
            super::DEFAULT_DPOP_CLOCK_TOLERANCE,
        )?,
        retry_delay_ms,
        retry_jitter,
        ..DpopConfig::new("", None)
    }))
}

/// Reads `KEY=VALUE` lines from a `.env` file. Blank lines and `#` comments are skipped;
/// values may be quoted; `export ` prefixes are allowed. A missing file gives an empty map.
///
/// Use it with [`crate::config::OwnedConfig::from_lookup`], real environment variables first:
/// `OwnedConfig::from_lookup(|k| std::env::var(k).ok().or_else(|| vars.get(k).cloned()))`.
pub fn read_dotenv(
    path: impl AsRef<std::path::Path>,
) -> std::io::Result<std::collections::HashMap<std::string::String, std::string::String>> {
    use std::string::ToString;
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e),
    };
    let mut vars = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let mut v = v.trim();
        if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v = &v[1..v.len() - 1];
        }
        vars.insert(k.trim().to_string(), v.to_string());
    }
    Ok(vars)
}
