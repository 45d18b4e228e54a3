//! Client-Initiated Backchannel Authentication in poll mode (OpenID Connect CIBA Core 1.0), as
//! `@auth0/nextjs-auth0` v4's `getTokenByBackchannelAuth` does it with openid-client.
//!
//! A flow calls, in order: [`endpoint`] (the provider must publish
//! `backchannel_authentication_endpoint`); [`authentication_request`] and
//! [`parse_authentication_response`]; then it makes a [`Poller`] and loops: sleep
//! [`Poller::wait`] seconds (it says when `expires_in` has run out), send [`poll_request`] to
//! the token endpoint, [`classify_poll`] the answer, and either stop at
//! [`PollAnswer::Done`] / [`PollAnswer::Failed`] or tell the poller ([`Poller::answer`]).
//! Nothing there parses anything itself.
//!
//! The authentication request has the SDK's parameter order: the configured authorization
//! parameters merged with the call's (the call's win, in the configured one's place; the
//! SDK's internal parameters are never sent), `scope` ([`DEFAULT_SCOPES`] when empty),
//! `client_id`, `binding_message`, `login_hint` (the JSON
//! `{"format":"iss_sub","iss":…,"sub":…}`), `requested_expiry` and `authorization_details`
//! when given, then client authentication. Polling follows openid-client: wait `interval`
//! (default 5 s) before each poll, add 5 s on `slow_down`, wait at least as long as a
//! `Retry-After` says, stop when `expires_in` has passed since the start.

use super::authorize::PROTECTED;
use super::client_auth::{ClientAuth, write_client_auth};
use super::discovery::Metadata;
use super::form_body::{finish, push_form_json, push_form_with, write_client_credentials};
use super::token::{OAuthError, TokenRequest, TokenResponse, TokenResponseError};
use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::codec::json::{self, JsonStr, Number, Object, ObjectWriter, Value};
use crate::codec::time::UnixTime;
use crate::config::{Config, DEFAULT_SCOPES};
use core::fmt;
use rand_core::CryptoRngCore;

/// The `grant_type` of a poll.
pub const GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";
/// The polling interval when the provider gives none, in seconds.
pub const DEFAULT_INTERVAL: i64 = 5;
/// How many seconds `slow_down` adds to the interval.
pub const SLOW_DOWN_STEP: i64 = 5;
/// The code of the SDK's `BackchannelAuthenticationError`.
pub const ERROR_CODE: &str = "backchannel_authentication_error";
/// The message of the SDK's `BackchannelAuthenticationError`.
pub const ERROR_MESSAGE: &str =
    "There was an error when trying to use Client-Initiated Backchannel Authentication.";
/// The code of the SDK's `BackchannelAuthenticationNotSupportedError`.
pub const NOT_SUPPORTED_CODE: &str = "backchannel_authentication_not_supported_error";
/// The message of the SDK's `BackchannelAuthenticationNotSupportedError`.
pub const NOT_SUPPORTED_MESSAGE: &str = "The authorization server does not support backchannel authentication. Learn how to enable it here: https://auth0.com/docs/get-started/applications/configure-client-initiated-backchannel-authentication";
/// Parameters this message writes itself, so authorization parameters of the same name are
/// not forwarded.
const OWN: [&str; 6] = [
    "scope",
    "audience",
    "binding_message",
    "login_hint",
    "requested_expiry",
    "authorization_details",
];

/// Why backchannel authentication failed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum CibaError<'a> {
    /// The provider publishes no `backchannel_authentication_endpoint`.
    NotSupported,
    /// The provider answered with an OAuth error (`access_denied`, `expired_token`,
    /// `unknown_user_id`, `invalid_grant`, …).
    Provider {
        /// The HTTP status.
        status: u16,
        /// The provider's error.
        error: OAuthError<'a>,
    },
    /// The answer is not what the endpoint should send.
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// A 503 came with a `Retry-After` that is neither delta-seconds nor an HTTP date.
    InvalidRetryAfter,
    /// `expires_in` ran out before the user approved the request.
    Expired,
}

impl<'a> CibaError<'a> {
    /// The SDK's error code: [`NOT_SUPPORTED_CODE`] or [`ERROR_CODE`].
    pub fn code(&self) -> &'static str {
        match self {
            CibaError::NotSupported => NOT_SUPPORTED_CODE,
            _ => ERROR_CODE,
        }
    }

    /// The SDK's message: [`NOT_SUPPORTED_MESSAGE`] or [`ERROR_MESSAGE`].
    pub fn message(&self) -> &'static str {
        match self {
            CibaError::NotSupported => NOT_SUPPORTED_MESSAGE,
            _ => ERROR_MESSAGE,
        }
    }

    /// The provider's error, the SDK's `OAuth2Error` cause.
    pub fn oauth_error(&self) -> Option<OAuthError<'a>> {
        match self {
            CibaError::Provider { error, .. } => Some(*error),
            _ => None,
        }
    }
}

impl fmt::Display for CibaError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CibaError::NotSupported => f.write_str(NOT_SUPPORTED_MESSAGE),
            CibaError::Provider { status, error } => {
                write!(
                    f,
                    "the provider refused the backchannel authentication (HTTP {status}): {}",
                    error.error
                )?;
                match error.error_description {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            CibaError::Malformed { status, reason } => write!(
                f,
                "unusable backchannel authentication answer (HTTP {status}): {reason}"
            ),
            CibaError::InvalidRetryAfter => f.write_str(
                "HTTP 503 with a Retry-After that is neither delta-seconds nor an HTTP date",
            ),
            CibaError::Expired => f.write_str(
                "the backchannel authentication request expired before the user approved it; start a new one",
            ),
        }
    }
}

impl core::error::Error for CibaError<'_> {}

/// The provider's `backchannel_authentication_endpoint`, or [`CibaError::NotSupported`].
pub fn endpoint<'a>(m: &Metadata<'a>) -> Result<&'a str, CibaError<'static>> {
    m.backchannel_authentication_endpoint
        .ok_or(CibaError::NotSupported)
}

/// What the call asks for (`getTokenByBackchannelAuth`'s options).
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct AuthenticationRequest<'a> {
    /// `authorizationParams`: parameters (decoded) that override the configured ones; for a
    /// repeated name the last value wins. The SDK's internal parameters (`client_id`,
    /// `redirect_uri`, `response_type`, `code_challenge`, `code_challenge_method`, `state`,
    /// `nonce`) and the ones this request writes itself (`binding_message`, `login_hint`,
    /// `requested_expiry`, `authorization_details`) are not forwarded.
    pub authorization_params: &'a [(&'a str, &'a str)],
    /// `bindingMessage`: shown on both devices.
    pub binding_message: &'a str,
    /// `loginHint.sub`: the user to authenticate.
    pub login_hint_sub: &'a str,
    /// `requestedExpiry`, seconds (sent when given and not 0).
    pub requested_expiry: Option<u64>,
    /// `authorizationDetails` as JSON text (RFC 9396), sent in `JSON.stringify` form.
    pub authorization_details: Option<&'a str>,
}

/// Writes the backchannel authentication request into `buf` (see the module documentation
/// for the order). `issuer` is the discovered issuer: it goes into `login_hint`, and it is the
/// audience of a `private_key_jwt` assertion.
///
/// ```
/// use auth0_edge::config::{ClientAuth as ConfigAuth, Config};
/// use auth0_edge::oauth::{ciba, ClientAuth};
/// let config = Config::new("t.auth0.com", "cid", ConfigAuth::SecretPost("s"), "http://localhost:3000");
/// let r = ciba::AuthenticationRequest {
///     authorization_params: &[],
///     binding_message: "Hi",
///     login_hint_sub: "auth0|1",
///     requested_expiry: None,
///     authorization_details: None,
/// };
/// let mut buf = [0u8; 512];
/// let req = ciba::authentication_request(&config, "https://t.auth0.com/", &r,
///     &ClientAuth::SecretPost("s"), 0, &mut rand_core::OsRng, &mut buf)?;
/// assert_eq!(req.body, "scope=openid+profile+email+offline_access&client_id=cid&binding_message=Hi\
/// &login_hint=%7B%22format%22%3A%22iss_sub%22%2C%22iss%22%3A%22https%3A%2F%2Ft.auth0.com%2F%22\
/// %2C%22sub%22%3A%22auth0%7C1%22%7D&client_secret=s");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn authentication_request<'b>(
    config: &Config<'_>,
    issuer: &str,
    r: &AuthenticationRequest<'_>,
    auth: &ClientAuth<'_>,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let call = r.authorization_params;
    let last = |name: &str| call.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v);
    let skipped = |k: &str| PROTECTED.contains(&k) || OWN.contains(&k);
    let configured = &config.authorization_parameters;
    let audience = last("audience").or(configured.audience);
    let scope = last("scope").or_else(|| config.scope_for(audience));
    let mut w = Writer::new(buf, "backchannel authentication request");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        // An empty scope is replaced in its place; a missing one goes after the merged
        // parameters (`URLSearchParams.set`).
        if let Some(s) = scope {
            f.pair("scope", if s.is_empty() { DEFAULT_SCOPES } else { s })?;
        }
        if let Some(a) = audience {
            f.pair("audience", a)?;
        }
        for (k, v) in configured.extra.iter() {
            if !skipped(k) {
                f.pair(k, last(k).unwrap_or(v))?;
            }
        }
        for (i, (k, v)) in call.iter().enumerate() {
            let seen = call.get(..i).is_some_and(|b| b.iter().any(|(e, _)| e == k));
            if skipped(k) || seen || configured.extra.iter().any(|(c, _)| c == *k) {
                continue;
            }
            f.pair(k, last(k).unwrap_or(v))?;
        }
        if scope.is_none() {
            f.pair("scope", DEFAULT_SCOPES)?;
        }
        f.pair("client_id", config.client_id)?;
        f.pair("binding_message", r.binding_message)?;
        push_form_with(f.pair_with("login_hint")?, |t| {
            let mut o = ObjectWriter::begin(t)?;
            o.str("format", "iss_sub")?;
            o.str("iss", issuer)?;
            o.str("sub", r.login_hint_sub)?;
            o.end()
        })?;
        if let Some(e) = r.requested_expiry.filter(|e| *e > 0) {
            f.pair_with("requested_expiry")?.push_u64(e)?;
        }
        if let Some(details) = r.authorization_details {
            let v = Value::parse(details)?;
            push_form_with(f.pair_with("authorization_details")?, |t| {
                json::write_value(t, v)
            })?;
        }
        write_client_credentials(&mut f, config.client_id, auth, issuer, now, rng)?;
    }
    finish(w, config.client_id, auth)
}

/// The provider's answer to the authentication request (CIBA Core §7.3).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuthenticationResponse<'a> {
    /// `auth_req_id`: what each poll sends.
    pub auth_req_id: JsonStr<'a>,
    /// `expires_in`: seconds the request stays open.
    pub expires_in: i64,
    /// `interval`: the least seconds between polls, if given ([`DEFAULT_INTERVAL`] if not).
    pub interval: Option<i64>,
    /// The whole answer.
    pub raw: Object<'a>,
}

/// Whole seconds, rounded up, of a non-negative number.
fn ceil_secs(n: Number<'_>) -> Option<i64> {
    let floor = n.floor_i64()?;
    let frac = n.as_f64().is_some_and(|f| f > floor as f64);
    Some(if frac { floor.saturating_add(1) } else { floor })
}

/// Reads the answer to the authentication request: `200` with a non-empty string
/// `auth_req_id`, an `expires_in` that is a non-negative number (or a string of one), and an
/// optional positive number `interval`, as oauth4webapi requires. An OAuth error is
/// [`CibaError::Provider`].
pub fn parse_authentication_response(
    status: u16,
    body: &[u8],
) -> Result<AuthenticationResponse<'_>, CibaError<'_>> {
    let malformed = |reason| CibaError::Malformed { status, reason };
    let Ok(o) = Object::parse_bytes(body) else {
        return Err(malformed("the body is not a JSON object"));
    };
    if status != 200 {
        return Err(match super::token::parse_error(&o) {
            Some(error) => CibaError::Provider { status, error },
            None => malformed("not 200 OK, and no OAuth `error` member"),
        });
    }
    let auth_req_id = o
        .get_str("auth_req_id")
        .filter(|s| !s.is_empty())
        .ok_or(malformed("`auth_req_id` is missing or not a string"))?;
    let expires_in = match o.get("expires_in") {
        Some(Value::Number(n)) => ceil_secs(n),
        Some(Value::String(s)) => s.as_str().and_then(|s| s.trim().parse::<i64>().ok()),
        _ => None,
    }
    .filter(|n| *n >= 0)
    .ok_or(malformed(
        "`expires_in` is missing or not a non-negative number",
    ))?;
    let interval = match o.get("interval") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            ceil_secs(n)
                .filter(|i| *i > 0)
                .ok_or(malformed("`interval` is not a positive number"))?,
        ),
        Some(_) => return Err(malformed("`interval` is not a positive number")),
    };
    Ok(AuthenticationResponse {
        auth_req_id,
        expires_in,
        interval,
        raw: o,
    })
}

/// Writes a poll of the token endpoint into `buf`: `auth_req_id`, `grant_type` (in
/// oauth4webapi's order), then client authentication.
pub fn poll_request<'b>(
    auth_req_id: JsonStr<'_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let mut w = Writer::new(buf, "backchannel authentication poll");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        push_form_json(f.pair_with("auth_req_id")?, auth_req_id)?;
        f.pair("grant_type", GRANT_TYPE)?;
        write_client_auth(&mut f, client_id, auth, issuer, now, rng)?;
    }
    finish(w, client_id, auth)
}

/// What a poll's answer means for the flow.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PollAnswer<'a> {
    /// `authorization_pending`: poll again after the interval.
    Pending {
        /// Seconds of a `Retry-After` that came with it, if any.
        retry_after: Option<u64>,
    },
    /// `slow_down`: the interval grows by [`SLOW_DOWN_STEP`].
    SlowDown {
        /// Seconds of a `Retry-After` that came with it, if any.
        retry_after: Option<u64>,
    },
    /// HTTP 503 with `Retry-After`: poll again after that many seconds (at least the
    /// interval).
    RetryAfter(u64),
    /// The user approved: the token response (check its ID token as after a login).
    Done(TokenResponse<'a>),
    /// The request is over: the user refused (`access_denied`), it expired
    /// (`expired_token`), the user is unknown (`unknown_user_id`), another OAuth error, or an
    /// unusable answer.
    Failed(CibaError<'a>),
}

/// Classifies a poll's answer: its status, its `Retry-After` header value (if any) and body.
/// `now` dates a `Retry-After` given as an HTTP date.
pub fn classify_poll<'a>(
    status: u16,
    retry_after: Option<&str>,
    body: &'a [u8],
    now: UnixTime,
) -> PollAnswer<'a> {
    if status == 503
        && let Some(value) = retry_after
    {
        return match parse_retry_after(value, now) {
            Some(secs) => PollAnswer::RetryAfter(secs),
            None => PollAnswer::Failed(CibaError::InvalidRetryAfter),
        };
    }
    let retry_after = retry_after.and_then(|v| parse_retry_after(v, now));
    match super::token::parse_token_response(status, body) {
        Ok(t) => PollAnswer::Done(t),
        // oauth4webapi reads OAuth errors from 4xx answers only.
        Err(TokenResponseError::OAuth { status, error }) if (400..500).contains(&status) => {
            if error.error == "authorization_pending" {
                PollAnswer::Pending { retry_after }
            } else if error.error == "slow_down" {
                PollAnswer::SlowDown { retry_after }
            } else {
                PollAnswer::Failed(CibaError::Provider { status, error })
            }
        }
        Err(TokenResponseError::OAuth { status, .. }) => PollAnswer::Failed(CibaError::Malformed {
            status,
            reason: "an OAuth error with a status that is not 4xx",
        }),
        Err(TokenResponseError::Malformed { status, reason }) => {
            PollAnswer::Failed(CibaError::Malformed { status, reason })
        }
    }
}

/// When to poll, and when to give up: `interval` before each poll, `slow_down` adding
/// [`SLOW_DOWN_STEP`], a `Retry-After` longer than the interval waited in full, and nothing
/// after `expires_in` from the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Poller {
    /// The current interval, seconds.
    pub interval: i64,
    /// When the next poll is due.
    pub next_at: UnixTime,
    /// When the request expires (`expires_in` after the start).
    pub deadline: UnixTime,
}

impl Poller {
    /// A poller for `r`, started at `now`: the first poll is due after the interval.
    pub fn new(r: &AuthenticationResponse<'_>, now: UnixTime) -> Poller {
        let interval = r.interval.unwrap_or(DEFAULT_INTERVAL).max(1);
        Poller {
            interval,
            next_at: now.saturating_add(interval),
            deadline: now.saturating_add(r.expires_in.max(0)),
        }
    }

    /// Seconds to wait before the next poll (0: poll now), or [`CibaError::Expired`] when the
    /// next poll would come at or after the deadline.
    pub fn wait(&self, now: UnixTime) -> Result<u64, CibaError<'static>> {
        if self.next_at >= self.deadline {
            return Err(CibaError::Expired);
        }
        Ok(u64::try_from(self.next_at.saturating_sub(now)).unwrap_or(0))
    }

    /// Schedules the next poll after an answer received at `now` (a final answer changes
    /// nothing).
    pub fn answer(&mut self, a: &PollAnswer<'_>, now: UnixTime) {
        let at_least = |interval: i64, ra: Option<u64>| {
            let ra = ra.map_or(0, |r| i64::try_from(r).unwrap_or(i64::MAX));
            now.saturating_add(interval.max(ra))
        };
        match a {
            PollAnswer::Pending { retry_after } => {
                self.next_at = at_least(self.interval, *retry_after)
            }
            PollAnswer::SlowDown { retry_after } => {
                self.interval = self.interval.saturating_add(SLOW_DOWN_STEP);
                self.next_at = at_least(self.interval, *retry_after);
            }
            PollAnswer::RetryAfter(secs) => self.next_at = at_least(self.interval, Some(*secs)),
            PollAnswer::Done(_) | PollAnswer::Failed(_) => {}
        }
    }
}

/// The seconds a `Retry-After` value asks for (RFC 9110 §10.2.3): delta-seconds, or an HTTP
/// date (IMF-fixdate, RFC 850 or asctime) counted from `now`; a date in the past is 0 (where
/// openid-client would fail). `None` for anything else.
///
/// ```
/// use auth0_edge::oauth::ciba::parse_retry_after;
/// assert_eq!(parse_retry_after(" 120 ", 0), Some(120));
/// assert_eq!(parse_retry_after("Thu, 01 Jan 1970 00:02:00 GMT", 30), Some(90));
/// assert_eq!(parse_retry_after("soon", 0), None);
/// ```
pub fn parse_retry_after(value: &str, now: UnixTime) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(v.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        }));
    }
    let at = parse_http_date(v, now)?;
    Some(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn digits(s: &str, min: usize, max: usize) -> Option<i64> {
    (s.len() >= min && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `HH:MM:SS` as seconds of the day.
fn time_of_day(s: &str) -> Option<i64> {
    let mut p = s.split(':');
    let (h, m, sec) = (p.next()?, p.next()?, p.next()?);
    if p.next().is_some() {
        return None;
    }
    let (h, m, sec) = (digits(h, 2, 2)?, digits(m, 2, 2)?, digits(sec, 2, 2)?);
    (h < 24 && m < 60 && sec <= 60).then_some(h * 3600 + m * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, when the date exists (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=len).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Parses an HTTP date (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the
/// obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years read as the nearest
/// past century's, relative to `now`) and asctime `Sun Nov  6 08:49:37 1994`.
fn parse_http_date(s: &str, now: UnixTime) -> Option<UnixTime> {
    let month = |m: &str| MONTHS.iter().position(|n| *n == m).map(|i| i as i64 + 1);
    let mut it = s.split_ascii_whitespace();
    let first = it.next()?;
    let (y, m, d, t) = if let Some(day_name) = first.strip_suffix(',') {
        let date = it.next()?;
        if day_name.len() == 3 {
            let (m, y, t) = (it.next()?, it.next()?, it.next()?);
            (digits(y, 4, 4)?, month(m)?, digits(date, 2, 2)?, t)
        } else {
            let mut p = date.split('-');
            let (d, m, yy) = (p.next()?, p.next()?, p.next()?);
            if p.next().is_some() {
                return None;
            }
            let yy = digits(yy, 2, 2)?;
            // The most recent year ending in `yy` that is not more than 50 years ahead.
            let this_year = 1970 + now.div_euclid(31_556_952);
            let mut y = this_year - this_year.rem_euclid(100) + yy;
            if y > this_year + 50 {
                y -= 100;
            }
            (y, month(m)?, digits(d, 2, 2)?, it.next()?)
        }
    } else {
        let (m, d, t, y) = (it.next()?, it.next()?, it.next()?, it.next()?);
        (digits(y, 4, 4)?, month(m)?, digits(d, 1, 2)?, t)
    };
    let rest = it.next();
    let gmt_ok = if first.ends_with(',') {
        rest == Some("GMT") && it.next().is_none()
    } else {
        rest.is_none()
    };
    if !gmt_ok {
        return None;
    }
    // A two-digit year relative to an extreme `now` can be far enough out to overflow.
    days_from_civil(y, m, d)?
        .checked_mul(86_400)?
        .checked_add(time_of_day(t)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::time::HttpDate;
    use crate::config::{AuthorizationParameters, ClientAuth as ConfigAuth, Pairs, Scope};
    use crate::jose::jwk::EcKeyPair;
    extern crate std;
    use std::format;
    use std::string::{String, ToString};

    const ISS: &str = "https://t.auth0.com/";

    fn config() -> Config<'static> {
        Config::new(
            "t.auth0.com",
            "cid",
            ConfigAuth::SecretPost("s"),
            "http://localhost:3000",
        )
    }

    fn req(params: &'static [(&'static str, &'static str)]) -> AuthenticationRequest<'static> {
        AuthenticationRequest {
            authorization_params: params,
            binding_message: "Approve #42",
            login_hint_sub: "auth0|u\"1",
            requested_expiry: None,
            authorization_details: None,
        }
    }

    fn body(c: &Config<'_>, r: &AuthenticationRequest<'_>, auth: &ClientAuth<'_>) -> String {
        let mut buf = [0u8; 4096];
        authentication_request(c, ISS, r, auth, 0, &mut rand_core::OsRng, &mut buf)
            .unwrap()
            .body
            .to_string()
    }

    const HINT: &str = "login_hint=%7B%22format%22%3A%22iss_sub%22%2C%22iss%22%3A%22https%3A%2F%2Ft.auth0.com%2F%22%2C%22sub%22%3A%22auth0%7Cu%5C%221%22%7D";

    #[test]
    fn parameters_in_the_sdk_order() {
        static EXTRA: [(&str, &str); 3] = [
            ("organization", "org_1"),
            ("state", "never"),
            ("acr_values", "x"),
        ];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::All("openid profile"),
                audience: Some("https://api"),
                extra: Pairs::new(&EXTRA),
            },
            ..config()
        };
        static CALL: [(&str, &str); 6] = [
            ("acr_values", "y"),
            ("nonce", "n"),
            ("resource", "r1"),
            ("binding_message", "ignored"),
            ("resource", "r2"),
            ("scope", "openid read"),
        ];
        let mut r = req(&CALL);
        r.requested_expiry = Some(300);
        r.authorization_details = Some(r#"[ {"type":"payment", "amount": 1} ]"#);
        assert_eq!(
            body(&c, &r, &ClientAuth::SecretPost("p")),
            format!(
                "scope=openid+read&audience=https%3A%2F%2Fapi&organization=org_1&acr_values=y&resource=r2\
                 &client_id=cid&binding_message=Approve+%2342&{HINT}&requested_expiry=300\
                 &authorization_details=%5B%7B%22type%22%3A%22payment%22%2C%22amount%22%3A1%7D%5D\
                 &client_secret=p"
            )
        );
        // An empty scope becomes the default in place; requested_expiry 0 is not sent.
        static EMPTY_SCOPE: [(&str, &str); 2] = [("prompt", "login"), ("scope", "")];
        let mut r = req(&EMPTY_SCOPE);
        r.requested_expiry = Some(0);
        assert_eq!(
            body(&config(), &r, &ClientAuth::SecretBasic("p")),
            format!(
                "scope=openid+profile+email+offline_access&prompt=login&client_id=cid&binding_message=Approve+%2342&{HINT}"
            )
        );
        // A scope map without an entry for the audience: the default scope goes after the
        // merged parameters.
        static MAP: [(&str, &str); 1] = [("https://a", "openid read:a")];
        let c = Config {
            authorization_parameters: AuthorizationParameters {
                scope: Scope::PerAudience(Pairs::new(&MAP)),
                audience: Some("https://default"),
                ..AuthorizationParameters::default()
            },
            ..config()
        };
        static OTHER: [(&str, &str); 2] = [("audience", "https://other"), ("x", "1")];
        assert!(
            body(&c, &req(&OTHER), &ClientAuth::None).starts_with(
                "audience=https%3A%2F%2Fother&x=1&scope=openid+profile+email+offline_access&client_id=cid&binding_message="
            )
        );
        static A: [(&str, &str); 1] = [("audience", "https://a")];
        assert!(
            body(&c, &req(&A), &ClientAuth::None)
                .starts_with("scope=openid+read%3Aa&audience=https%3A%2F%2Fa&client_id=cid&")
        );
        // private_key_jwt: client_id stays at its place, the assertion comes last.
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let b = body(&config(), &req(&[]), &ClientAuth::PrivateKeyJwt(&key));
        assert_eq!(b.matches("client_id=").count(), 1);
        assert!(b.contains(&format!("{HINT}&client_assertion_type=")));
    }

    #[test]
    fn request_errors() {
        let mut r = req(&[]);
        r.authorization_details = Some("{not json");
        let mut buf = [0u8; 2048];
        assert!(matches!(
            authentication_request(
                &config(),
                ISS,
                &r,
                &ClientAuth::None,
                0,
                &mut rand_core::OsRng,
                &mut buf
            ),
            Err(Error::Json(_))
        ));
        let mut small = [0u8; 120];
        assert!(matches!(
            authentication_request(
                &config(),
                ISS,
                &req(&[]),
                &ClientAuth::None,
                0,
                &mut rand_core::OsRng,
                &mut small
            ),
            Err(Error::BufferTooSmall { .. })
        ));
        let m = Metadata::parse(r#"{"issuer":"https://t/","authorization_endpoint":"a","token_endpoint":"t","jwks_uri":"j"}"#).unwrap();
        let e = endpoint(&m).unwrap_err();
        assert_eq!(e, CibaError::NotSupported);
        assert_eq!(e.code(), "backchannel_authentication_not_supported_error");
        assert!(
            e.message().starts_with(
                "The authorization server does not support backchannel authentication."
            )
        );
        let m = Metadata::parse(r#"{"issuer":"https://t/","authorization_endpoint":"a","token_endpoint":"t","jwks_uri":"j","backchannel_authentication_endpoint":"https://t/bc-authorize"}"#).unwrap();
        assert_eq!(endpoint(&m), Ok("https://t/bc-authorize"));
    }

    #[test]
    fn authentication_responses() {
        let r = parse_authentication_response(
            200,
            br#"{"auth_req_id":"ar1","expires_in":300,"interval":2}"#,
        )
        .unwrap();
        assert_eq!(
            (r.auth_req_id, r.expires_in, r.interval),
            ("ar1".into(), 300, Some(2))
        );
        let r = parse_authentication_response(200, br#"{"auth_req_id":"a","expires_in":"120"}"#)
            .unwrap();
        assert_eq!((r.expires_in, r.interval), (120, None));
        let r = parse_authentication_response(
            200,
            br#"{"auth_req_id":"a","expires_in":1.5,"interval":0.5}"#,
        )
        .unwrap();
        assert_eq!((r.expires_in, r.interval), (2, Some(1)));
        let e = parse_authentication_response(
            400,
            br#"{"error":"unknown_user_id","error_description":"no such user"}"#,
        )
        .unwrap_err();
        assert_eq!(e.oauth_error().unwrap().error, "unknown_user_id");
        assert_eq!(e.message(), ERROR_MESSAGE);
        assert_eq!(e.code(), ERROR_CODE);
        for (status, b) in [
            (200, &br#"{"expires_in":300}"#[..]),
            (200, br#"{"auth_req_id":"","expires_in":300}"#),
            (200, br#"{"auth_req_id":"a"}"#),
            (200, br#"{"auth_req_id":"a","expires_in":-1}"#),
            (200, br#"{"auth_req_id":"a","expires_in":3,"interval":0}"#),
            (200, br#"{"auth_req_id":"a","expires_in":3,"interval":"5"}"#),
            (201, br#"{"auth_req_id":"a","expires_in":3}"#),
            (500, b"oops"),
        ] {
            assert!(
                matches!(
                    parse_authentication_response(status, b),
                    Err(CibaError::Malformed { .. })
                ),
                "{b:?}"
            );
        }
    }

    #[test]
    fn poll_request_body() {
        let mut buf = [0u8; 512];
        let r = poll_request(
            "ar/1".into(),
            "cid",
            &ClientAuth::SecretPost("s"),
            ISS,
            0,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            r.body,
            "auth_req_id=ar%2F1&grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&client_id=cid&client_secret=s"
        );
    }

    #[test]
    fn poll_answers() {
        let now = 1_000;
        let pending = br#"{"error":"authorization_pending","error_description":"wait"}"#;
        assert_eq!(
            classify_poll(400, None, pending, now),
            PollAnswer::Pending { retry_after: None }
        );
        assert_eq!(
            classify_poll(400, Some("7"), pending, now),
            PollAnswer::Pending {
                retry_after: Some(7)
            }
        );
        assert_eq!(
            classify_poll(400, Some("bogus"), br#"{"error":"slow_down"}"#, now),
            PollAnswer::SlowDown { retry_after: None }
        );
        assert_eq!(
            classify_poll(503, Some("30"), b"", now),
            PollAnswer::RetryAfter(30)
        );
        assert_eq!(
            classify_poll(503, Some("whenever"), b"", now),
            PollAnswer::Failed(CibaError::InvalidRetryAfter)
        );
        assert!(matches!(
            classify_poll(503, None, b"Service Unavailable", now),
            PollAnswer::Failed(CibaError::Malformed { status: 503, .. })
        ));
        match classify_poll(
            200,
            None,
            br#"{"access_token":"at","id_token":"x.y.z","expires_in":60}"#,
            now,
        ) {
            PollAnswer::Done(t) => assert_eq!(t.access_token, "at"),
            other => panic!("{other:?}"),
        }
        for code in [
            "access_denied",
            "expired_token",
            "invalid_grant",
            "unknown_user_id",
        ] {
            let b = format!(r#"{{"error":"{code}"}}"#);
            match classify_poll(400, None, b.as_bytes(), now) {
                PollAnswer::Failed(CibaError::Provider { status: 400, error }) => {
                    assert_eq!(error.error, code)
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            classify_poll(500, None, pending, now),
            PollAnswer::Failed(CibaError::Malformed { status: 500, .. })
        ));
    }

    #[test]
    fn poller_schedule() {
        let r = parse_authentication_response(
            200,
            br#"{"auth_req_id":"a","expires_in":60,"interval":2}"#,
        )
        .unwrap();
        let mut p = Poller::new(&r, 100);
        assert_eq!((p.interval, p.next_at, p.deadline), (2, 102, 160));
        assert_eq!(p.wait(100), Ok(2));
        assert_eq!(p.wait(105), Ok(0));
        p.answer(&PollAnswer::Pending { retry_after: None }, 102);
        assert_eq!(p.wait(102), Ok(2));
        p.answer(&PollAnswer::SlowDown { retry_after: None }, 104);
        assert_eq!((p.interval, p.wait(104)), (7, Ok(7)));
        p.answer(&PollAnswer::RetryAfter(3), 111);
        assert_eq!(p.wait(111), Ok(7));
        p.answer(&PollAnswer::RetryAfter(20), 111);
        assert_eq!(p.wait(111), Ok(20));
        p.answer(
            &PollAnswer::Pending {
                retry_after: Some(30),
            },
            131,
        );
        assert_eq!(p.wait(131), Err(CibaError::Expired));
        assert_eq!(CibaError::Expired.message(), ERROR_MESSAGE);
        // Default interval, and huge values saturate instead of overflowing.
        let r =
            parse_authentication_response(200, br#"{"auth_req_id":"a","expires_in":10}"#).unwrap();
        let mut p = Poller::new(&r, i64::MAX - 3);
        assert_eq!(p.interval, DEFAULT_INTERVAL);
        p.answer(&PollAnswer::RetryAfter(u64::MAX), i64::MAX - 1);
        assert_eq!(p.wait(0), Err(CibaError::Expired));
        // expires_in 0: no poll at all.
        let r =
            parse_authentication_response(200, br#"{"auth_req_id":"a","expires_in":0}"#).unwrap();
        assert_eq!(Poller::new(&r, 0).wait(0), Err(CibaError::Expired));
    }

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("0", 5), Some(0));
        assert_eq!(
            parse_retry_after("99999999999999999999999", 0),
            Some(u64::MAX)
        );
        for t in [0i64, 784_111_777, 951_782_400, 1_795_906_848, 4_102_444_799] {
            let mut buf = [0u8; 40];
            let date = crate::codec::buf::display(&mut buf, &HttpDate(t)).unwrap();
            assert_eq!(parse_http_date(date, 0), Some(t), "{date}");
            assert_eq!(parse_retry_after(date, t - 10), Some(10), "{date}");
            assert_eq!(parse_retry_after(date, t + 10), Some(0), "{date}");
        }
        // RFC 9110's three formats of the same instant.
        let now = 1_800_000_000;
        for d in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(d, now), Some(784_111_777), "{d}");
        }
        assert_eq!(
            parse_http_date("Friday, 01-Jan-49 00:00:00 GMT", now),
            parse_http_date("Fri, 01 Jan 2049 00:00:00 GMT", now)
        );
        // A two-digit year near the end of time does not overflow.
        for now in [i64::MAX, i64::MIN] {
            let _ = parse_retry_after("Friday, 31-Dec-99 23:59:59 GMT", now);
        }
        for bad in [
            "",
            "-1",
            "1.5",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 6 Nov 94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }
}
