//! The authorization request (login) as `@auth0/nextjs-auth0` v4 builds it, and the
//! transaction cookies that hold its state until the callback.
//!
//! Query order: the configured authorization parameters (`scope`, `audience`, then the extra
//! ones), overridden by same-named request parameters; then request parameters that are not
//! configured, in the order they first appear (for a repeated name the last value wins); then
//! `client_id`, `redirect_uri`, `response_type=code`, `code_challenge`,
//! `code_challenge_method=S256`, `state`, `nonce`, and `dpop_jkt` when DPoP is on. Protected
//! parameters (those seven) and the SDK's own (`returnTo`, `challengeMode`) are never forwarded.

use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form::{self, FormWriter, component_eq, query_pairs};
use crate::config::Config;
use crate::cookie::{self, CookieName, CookieOptions, Lifetime, SetCookie};

/// Parameters a request may not set.
pub const PROTECTED: [&str; 7] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "code_challenge",
    "code_challenge_method",
    "state",
    "nonce",
];
/// Parameters of the SDK itself, never sent to the provider.
pub const INTERNAL: [&str; 2] = ["returnTo", "challengeMode"];
/// Transaction cookies are evicted (oldest first) when together they reach this many bytes.
pub const TRANSACTION_BUDGET: usize = 3500;
/// The most transaction cookies considered for eviction at once.
pub const MAX_TRANSACTIONS: usize = 64;
/// `returnTo`, `scope` and `audience` longer than this are not stored in the transaction.
pub const MAX_STORED_FIELD: usize = 2048;

/// The values the login flow generated for one authorization request.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Secrets<'a> {
    /// `state`.
    pub state: &'a str,
    /// `nonce`.
    pub nonce: &'a str,
    /// S256 `code_challenge`.
    pub code_challenge: &'a str,
    /// `dpop_jkt`, when DPoP is on.
    pub dpop_jkt: Option<&'a str>,
}

fn is_reserved(raw_key: &str) -> bool {
    PROTECTED
        .iter()
        .chain(INTERNAL.iter())
        .any(|p| component_eq(raw_key, p))
}

/// The last raw value of `name` among request parameters (which may be several sources: the
/// request query, then `start_interactive_login` options, later ones winning).
fn last_value<'q>(sources: &[&'q str], name: &str) -> Option<&'q str> {
    sources.iter().rev().find_map(|q| form::query_get(q, name))
}

/// The `audience` in effect: a request `audience` (decoded into `buf`) or the configured one.
pub fn audience<'b>(
    config: &Config<'b>,
    sources: &[&str],
    buf: &'b mut [u8],
) -> Result<Option<&'b str>, Error> {
    match last_value(sources, "audience") {
        Some(raw) => Ok(Some(form::decode_component(raw, buf)?)),
        None => Ok(config.authorization_parameters.audience),
    }
}

/// The `scope` in effect: a request `scope` (replacing, not merging; decoded into `buf`) or
/// the configured scope for the audience ([`Config::scope_for`]; `None` for an audience a
/// scope map has no entry for).
pub fn scope<'b>(
    config: &Config<'b>,
    sources: &[&str],
    audience: Option<&str>,
    buf: &'b mut [u8],
) -> Result<Option<&'b str>, Error> {
    match last_value(sources, "scope") {
        Some(raw) => form::decode_component(raw, buf).map(Some),
        None => Ok(config.scope_for(audience)),
    }
}

/// Writes the authorization URL: `authorization_endpoint` plus the query described in the
/// module documentation. `sources` are raw query strings of request parameters (the login
/// request's query, then options), later ones winning; `scope` and `audience` are the values
/// in effect (see [`scope`] and [`audience`]).
///
/// ```
/// use auth0_edge::{codec::buf::Writer, config::{ClientAuth, Config}, oauth::authorize};
/// let config = Config::new("t.auth0.com", "cid", ClientAuth::SecretPost("s"), "http://localhost:3000");
/// let secrets = authorize::Secrets { state: "st", nonce: "no", code_challenge: "ch", dpop_jkt: None };
/// let mut buf = [0u8; 512];
/// let mut w = Writer::new(&mut buf, "url");
/// authorize::write_url(&mut w, "https://t.auth0.com/authorize", &config, &["connection=github&state=evil"],
///     Some("openid profile"), None, "http://localhost:3000/auth/callback", &secrets)?;
/// assert_eq!(w.as_str(), "https://t.auth0.com/authorize?scope=openid+profile&connection=github&client_id=cid\
/// &redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback&response_type=code&code_challenge=ch\
/// &code_challenge_method=S256&state=st&nonce=no");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn write_url(
    w: &mut Writer<'_>,
    authorization_endpoint: &str,
    config: &Config<'_>,
    sources: &[&str],
    scope: Option<&str>,
    audience: Option<&str>,
    redirect_uri: &str,
    s: &Secrets<'_>,
) -> Result<(), Error> {
    w.push_str(authorization_endpoint)?;
    let sep = if authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut f = FormWriter::new(w, sep);
    write_params(&mut f, config, sources, scope, audience, redirect_uri, s)
}

/// Writes the parameters of the authorization request (the query of [`write_url`], without
/// the endpoint) into `f`, in the order of the module documentation: the body of a pushed
/// authorization request ([`crate::oauth::par`]) is the same parameters.
pub fn write_params(
    f: &mut FormWriter<'_, '_>,
    config: &Config<'_>,
    sources: &[&str],
    scope: Option<&str>,
    audience: Option<&str>,
    redirect_uri: &str,
    s: &Secrets<'_>,
) -> Result<(), Error> {
    // Configured parameters first, each overridden by the request's last value. A scope map
    // without an entry for the audience sends no scope, as the SDK does.
    if let Some(scope) = scope {
        f.pair("scope", scope)?;
    }
    if let Some(a) = audience {
        f.pair("audience", a)?;
    }
    for (k, v) in config.authorization_parameters.extra.iter() {
        if PROTECTED.contains(&k) || INTERNAL.contains(&k) || k == "scope" || k == "audience" {
            continue;
        }
        match last_value(sources, k) {
            Some(raw) => f.pair_raw(k, raw)?,
            None => f.pair(k, v)?,
        }
    }
    // Then request parameters that are not configured, in first-appearance order.
    for (si, q) in sources.iter().enumerate() {
        for (pi, (k, _)) in query_pairs(q).enumerate() {
            if is_reserved(k) || component_eq(k, "scope") || component_eq(k, "audience") {
                continue;
            }
            if config
                .authorization_parameters
                .extra
                .iter()
                .any(|(c, _)| component_eq(k, c))
            {
                continue;
            }
            // Skip names already written (an earlier pair of any source).
            let seen_before = sources[..si]
                .iter()
                .flat_map(|p| query_pairs(p))
                .chain(query_pairs(q).take(pi))
                .any(|(e, _)| form::Decoded::new(e).eq(form::Decoded::new(k)));
            if seen_before {
                continue;
            }
            let name_matches = |e: &str| form::Decoded::new(e).eq(form::Decoded::new(k));
            let value = sources
                .iter()
                .flat_map(|p| query_pairs(p))
                .filter(|(e, _)| name_matches(e))
                .map(|(_, v)| v)
                .last()
                .unwrap_or("");
            f.pair_raw(k, value)?;
        }
    }
    f.pair("client_id", config.client_id)?;
    f.pair("redirect_uri", redirect_uri)?;
    f.pair("response_type", "code")?;
    f.pair("code_challenge", s.code_challenge)?;
    f.pair("code_challenge_method", "S256")?;
    f.pair("state", s.state)?;
    f.pair("nonce", s.nonce)?;
    if let Some(jkt) = s.dpop_jkt {
        f.pair("dpop_jkt", jkt)?;
    }
    Ok(())
}

/// Writes the `redirect_uri`: the application base URL plus the callback route.
pub fn write_redirect_uri(w: &mut Writer<'_>, config: &Config<'_>) -> Result<(), Error> {
    w.push_str(config.base_url())?;
    w.push_str(config.routes.callback)
}

/// The transaction cookie name: `<prefix><state>` in parallel mode, `<prefix>` in single
/// mode.
pub fn cookie_name<'b>(
    config: &Config<'_>,
    state: &str,
    buf: &'b mut [u8],
) -> Result<&'b str, Error> {
    let mut w = Writer::new(buf, "transaction cookie name");
    w.push_str(config.transaction.prefix)?;
    if config.enable_parallel_transactions {
        w.push_str(state)?;
    }
    Ok(w.into_str())
}

/// The deletions that make room for a new transaction cookie, oldest first (FIFO eviction of
/// SDK 4.29+): when the transaction cookies of the request, without the one being replaced,
/// plus the new one reach [`TRANSACTION_BUDGET`] bytes of `name=value`, the oldest (by their
/// `<ts>:` prefix; bare values count as 0) are deleted until enough is freed. The new name is
/// never evicted.
pub fn evictions<'a>(
    request: &'a str,
    prefix: &str,
    new_name: &str,
    new_value_len: usize,
    options: &'a CookieOptions<'a>,
) -> Evictions<'a> {
    let mut e = Evictions {
        names: heapless::Vec::new(),
        options,
        next: 0,
    };
    let mut cands: heapless::Vec<(&'a str, i64, usize), MAX_TRANSACTIONS> = heapless::Vec::new();
    let mut total = new_name.len() + 1 + new_value_len;
    for c in cookie::parse(request) {
        if !c.name.starts_with(prefix) || c.name == new_name {
            continue;
        }
        let value_len = c
            .value
            .len()
            .saturating_sub(2 * c.value.matches('%').count());
        let size = c.name.len() + 1 + value_len;
        total += size;
        let ts = transaction_ts(c.value);
        if cands.push((c.name, ts, size)).is_err() {
            break;
        }
    }
    if total < TRANSACTION_BUDGET {
        return e;
    }
    let need = total - TRANSACTION_BUDGET + 1;
    let mut freed = 0;
    while freed < need {
        // The oldest remaining candidate.
        let Some((i, _)) = cands.iter().enumerate().min_by_key(|(_, c)| c.1) else {
            break;
        };
        let (name, _, size) = cands.swap_remove(i);
        freed += size;
        if e.names.push(name).is_err() {
            break;
        }
    }
    e
}

/// The `<ts>` of a raw transaction cookie value (`1795819225%3A…` or `1795819225:…`).
fn transaction_ts(raw: &str) -> i64 {
    let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &raw[digits..];
    if digits > 0 && (rest.starts_with(':') || rest.starts_with("%3A") || rest.starts_with("%3a")) {
        raw[..digits].parse().unwrap_or(0)
    } else {
        0
    }
}

/// Deletion `Set-Cookie` values for evicted transaction cookies; see [`evictions`].
#[derive(Clone, Debug)]
pub struct Evictions<'a> {
    names: heapless::Vec<&'a str, MAX_TRANSACTIONS>,
    options: &'a CookieOptions<'a>,
    next: usize,
}

impl<'a> Iterator for Evictions<'a> {
    type Item = SetCookie<'a>;

    fn next(&mut self) -> Option<SetCookie<'a>> {
        let name = *self.names.get(self.next)?;
        self.next += 1;
        Some(SetCookie {
            name: CookieName::plain(name),
            value: "",
            options: self.options,
            lifetime: Lifetime::Delete,
        })
    }
}

/// Deletions of every transaction cookie in the request (logout clears them all).
pub fn delete_all<'a>(
    request: &'a str,
    prefix: &'a str,
    options: &'a CookieOptions<'a>,
) -> impl Iterator<Item = SetCookie<'a>> + 'a {
    cookie::parse(request)
        .filter(move |c| c.name.starts_with(prefix))
        .map(move |c| SetCookie {
            name: CookieName::plain(c.name),
            value: "",
            options,
            lifetime: Lifetime::Delete,
        })
}

/// Whether a login request is a prefetch (SDK 4.29+), answered with 204 and no cookie:
/// `next-router-prefetch` set and not empty, `0` or `false`; `purpose: prefetch`;
/// `sec-purpose` containing `prefetch` but not `prerender`; `x-middleware-prefetch: 1`.
pub fn is_prefetch(headers: &dyn crate::http::Headers) -> bool {
    let has = |h: &str, needle: &str| {
        h.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    if let Some(v) = headers.get("next-router-prefetch") {
        let v = v.trim();
        if !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false") {
            return true;
        }
    }
    if headers
        .get("purpose")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("prefetch"))
    {
        return true;
    }
    if headers
        .get("sec-purpose")
        .is_some_and(|v| has(v, "prefetch") && !has(v, "prerender"))
    {
        return true;
    }
    headers
        .get("x-middleware-prefetch")
        .is_some_and(|v| v.trim() == "1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AuthorizationParameters, ClientAuth, Pairs, Scope};
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    fn config() -> Config<'static> {
        Config::new(
            "t.auth0.com",
            "cid",
            ClientAuth::SecretPost("s"),
            "http://localhost:3000",
        )
    }

    fn url(config: &Config<'_>, sources: &[&str]) -> std::string::String {
        let mut sbuf = [0u8; 256];
        let mut abuf = [0u8; 256];
        let aud = audience(config, sources, &mut abuf).unwrap();
        let sc = scope(config, sources, aud, &mut sbuf).unwrap();
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf, "t");
        let s = Secrets {
            state: "S",
            nonce: "N",
            code_challenge: "C",
            dpop_jkt: None,
        };
        write_url(
            &mut w,
            "https://t/authorize",
            config,
            sources,
            sc,
            aud,
            "https://app/cb",
            &s,
        )
        .unwrap();
        w.as_str().to_string()
    }

    #[test]
    fn parameter_order_and_overrides() {
        let extra = [("organization", "org_1"), ("prompt", "login")];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::All("openid profile"),
                audience: Some("https://api"),
                extra: Pairs::new(&extra),
            },
            ..config()
        };
        let u = url(
            &c,
            &[
                "prompt=none&screen_hint=signup&returnTo=%2Fx&nonce=evil&scope=openid+email&screen_hint=login",
            ],
        );
        assert_eq!(
            u,
            "https://t/authorize?scope=openid+email&audience=https%3A%2F%2Fapi&organization=org_1&prompt=none&screen_hint=login&client_id=cid&redirect_uri=https%3A%2F%2Fapp%2Fcb&response_type=code&code_challenge=C&code_challenge_method=S256&state=S&nonce=N"
        );
        // Per-audience scope follows the request's audience; the configured audience gets the
        // default scopes when the map lacks it, and another audience the map lacks gets no scope
        // (the SDK's ensureDefaultScope and getScopeForAudience).
        let map = [("https://a", "openid read:a")];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::PerAudience(Pairs::new(&map)),
                audience: Some("https://default"),
                ..AuthorizationParameters::default()
            },
            ..config()
        };
        assert!(url(&c, &["audience=https%3A%2F%2Fa"]).starts_with(
            "https://t/authorize?scope=openid+read%3Aa&audience=https%3A%2F%2Fa&client_id"
        ));
        assert!(url(&c, &[]).starts_with(
            "https://t/authorize?scope=openid+profile+email+offline_access&audience=https%3A%2F%2Fdefault&client_id"
        ));
        assert!(
            url(&c, &["audience=https%3A%2F%2Fother"])
                .starts_with("https://t/authorize?audience=https%3A%2F%2Fother&client_id")
        );
    }

    #[test]
    fn eviction_is_fifo_and_spares_the_new_cookie() {
        let big = "x".repeat(1000);
        let header = std::format!(
            "__txn_a=300%3A{big}; __txn_b=100%3A{big}; __txn_c={big}; other=1; __txn_new=5%3Ay"
        );
        let o = CookieOptions::default();
        let names: Vec<_> = evictions(&header, "__txn_", "__txn_new", 1000, &o)
            .map(|c| c.to_string())
            .collect();
        // 4 × ~1010 bytes ≥ 3500: free at least 541 bytes, oldest first (bare value = ts 0).
        assert_eq!(names.len(), 1);
        assert!(names[0].starts_with("__txn_c=; "));
        let names: Vec<_> = evictions(&header, "__txn_", "__txn_new", 2000, &o)
            .map(|c| c.to_string())
            .collect();
        assert_eq!(names.len(), 2);
        assert!(names[1].starts_with("__txn_b=; "));
        assert_eq!(
            evictions("__txn_a=1%3Ax", "__txn_", "__txn_z", 10, &o).count(),
            0
        );
    }

    #[test]
    fn prefetch_detection() {
        let cases: [(&[(&str, &str)], bool); 7] = [
            (&[("next-router-prefetch", "1")], true),
            (&[("next-router-prefetch", "false")], false),
            (&[("purpose", "prefetch")], true),
            (&[("sec-purpose", "prefetch;prerender")], false),
            (&[("sec-purpose", "prefetch")], true),
            (&[("x-middleware-prefetch", "1")], true),
            (&[("accept", "text/html")], false),
        ];
        for (h, want) in cases {
            assert_eq!(is_prefetch(&h), want, "{h:?}");
        }
    }
}
