//! [`Config::validate`]: every option checked once, with an error that names the option (or its
//! environment variable) and says what to do.

use super::{ClientAuth, Config, DpopConfig, Scope};
use crate::ConfigError;
use crate::codec::url::Url;

impl Config<'_> {
    /// Checks the configuration; the error names the option and says what is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |option, reason| Err(ConfigError::Invalid { option, reason });
        if self.domain.is_empty() {
            return invalid(
                "AUTH0_DOMAIN",
                "is required: set it to your tenant's domain, e.g. tenant.us.auth0.com",
            );
        }
        let (scheme, host) = self.domain_parts();
        if host.contains('/') || host.contains('?') {
            return invalid(
                "AUTH0_DOMAIN",
                "must be a host or an origin (no path or query)",
            );
        }
        let mut buf = [0u8; 300];
        let origin = {
            let mut w = crate::codec::buf::Writer::new(&mut buf, "domain");
            let ok =
                w.push_str(scheme).is_ok() && w.push_str("://").is_ok() && w.push_str(host).is_ok();
            if !ok {
                return invalid("AUTH0_DOMAIN", "is too long");
            }
            w.into_str()
        };
        let Ok(domain) = Url::parse(origin) else {
            return invalid("AUTH0_DOMAIN", "is not a valid host or https:// URL");
        };
        if !domain.is_https() && !domain.is_loopback() && !self.allow_insecure_requests {
            return invalid(
                "AUTH0_DOMAIN",
                "uses http:// for a host that is not loopback; use https://, or set allow_insecure_requests for local tests",
            );
        }
        if self.client_id.is_empty() {
            return invalid(
                "AUTH0_CLIENT_ID",
                "is required: copy it from your application's settings",
            );
        }
        match self.client_auth {
            ClientAuth::SecretPost(s) | ClientAuth::SecretBasic(s) if s.is_empty() => {
                return invalid("AUTH0_CLIENT_SECRET", "is empty");
            }
            ClientAuth::PrivateKeyJwt(pem)
                if crate::jose::jwk::EcKeyPair::from_pem(pem, None).is_err() =>
            {
                return invalid(
                    "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
                    "is not a P-256 private key in PEM (PKCS#8 or SEC1); only ES256 client assertions are supported",
                );
            }
            _ => {}
        }
        if self.secret.is_empty() {
            return invalid(
                "AUTH0_SECRET",
                "is required: generate one with `openssl rand -hex 32`",
            );
        }
        if self.secret.chars().count() < crate::jose::jwe::MIN_SECRET_CHARS {
            return Err(ConfigError::SecretTooShort {
                len: self.secret.chars().count(),
            });
        }
        if let Some(d) = &self.dpop {
            validate_dpop(d)?;
        }
        if Url::parse(self.app_base_url).is_err() {
            return invalid(
                "APP_BASE_URL",
                "must be an absolute http:// or https:// URL, e.g. http://localhost:3000",
            );
        }
        let ap = &self.authorization_parameters;
        if matches!(ap.scope, Scope::PerAudience(_)) && ap.audience.is_none() {
            return invalid(
                "authorization_parameters.scope",
                "is a map of audience to scope, so an audience is required to look up the correct scope: set authorization_parameters.audience",
            );
        }
        // The scope of the default audience (a map's entry, or DEFAULT_SCOPES when it has none)
        // must ask for an ID token.
        let has_openid = |s: &str| s.split(' ').any(|x| x == "openid");
        if !self.scope_for(ap.audience).is_some_and(has_openid) {
            return invalid("authorization_parameters.scope", "must include `openid`");
        }
        for name in [self.session.cookie_name, self.transaction.prefix] {
            if !crate::cookie::is_valid_name(name) {
                return invalid(
                    "session.cookie.name / transactionCookie.prefix",
                    "is not a valid cookie name",
                );
            }
        }
        if !self.sign_in_return_to_path.starts_with('/') {
            return invalid("signInReturnToPath", "must be a path starting with `/`");
        }
        let r = &self.routes;
        for route in [
            r.login,
            r.logout,
            r.callback,
            r.profile,
            r.access_token,
            r.backchannel_logout,
        ] {
            if !route.starts_with('/') {
                return invalid("routes", "each route must be a path starting with `/`");
            }
        }
        if self.session.durations.absolute_duration == 0 {
            return invalid("session.absoluteDuration", "must be more than 0 seconds");
        }
        if self.clock_tolerance < 0 {
            return invalid("clock_tolerance", "must not be negative");
        }
        Ok(())
    }
}

/// The DPoP key pair and settings: an error names the variable at fault.
fn validate_dpop(d: &DpopConfig<'_>) -> Result<(), ConfigError> {
    use crate::JwkError;
    use crate::jose::jwk::EcKeyPair;
    let invalid = |option, reason| Err(ConfigError::Invalid { option, reason });
    if EcKeyPair::from_pem(d.private_key_pem, None).is_err() {
        return invalid(
            "AUTH0_DPOP_PRIVATE_KEY",
            "is not a P-256 (ES256) private key in PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`); make a key pair with `auth0-edge dpop keygen`",
        );
    }
    if let Some(public) = d.public_key_pem {
        match EcKeyPair::from_pem(d.private_key_pem, Some(public)) {
            Ok(_) => {}
            Err(JwkError::KeyPairMismatch) => {
                return invalid(
                    "AUTH0_DPOP_PUBLIC_KEY",
                    "is not the public half of AUTH0_DPOP_PRIVATE_KEY: set both from one key pair",
                );
            }
            Err(_) => {
                return invalid(
                    "AUTH0_DPOP_PUBLIC_KEY",
                    "is not a P-256 (ES256) public key in PEM (SPKI `PUBLIC KEY`)",
                );
            }
        }
    }
    if d.clock_tolerance < 0 {
        return invalid(
            "AUTH0_DPOP_CLOCK_TOLERANCE",
            "must not be negative (seconds)",
        );
    }
    Ok(())
}
