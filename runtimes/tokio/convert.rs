//! Conversions between the core's HTTP view and the `http` crate's types.

use std::borrow::Cow;
use std::prelude::rust_2024::*;

use crate::flow::{self, AuthError};
use crate::http::{Headers, Response as CoreResponse};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;

/// A header map seen through the core's [`Headers`], with the `Cookie` headers joined.
pub(crate) struct HeaderView<'a> {
    pub(crate) map: &'a HeaderMap,
    pub(crate) cookie: &'a str,
}

impl Headers for HeaderView<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("cookie") {
            return Some(self.cookie);
        }
        self.map.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The `Cookie` headers of a request joined with `"; "` (HTTP/2 sends several). The one
/// header of an HTTP/1.1 request is borrowed, not copied.
pub fn cookie_header(headers: &HeaderMap) -> Cow<'_, str> {
    let mut all = headers.get_all(http::header::COOKIE).iter();
    match (all.next(), all.next()) {
        (None, _) => return Cow::Borrowed(""),
        (Some(one), None) => return Cow::Borrowed(one.to_str().unwrap_or("")),
        _ => {}
    }
    let mut out = String::new();
    for v in headers.get_all(http::header::COOKIE) {
        if let Ok(v) = v.to_str() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(v);
        }
    }
    Cow::Owned(out)
}

/// Converts a core response into an `http` response.
pub fn to_http(r: &CoreResponse<'_>) -> http::Response<Full<Bytes>> {
    let mut res = http::Response::new(Full::new(Bytes::copy_from_slice(r.body)));
    *res.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    append_headers(res.headers_mut(), r);
    res
}

/// Appends a core response's headers to `map`.
///
/// The values (the `Set-Cookie` lines above all) are written once, into one buffer, and each
/// header value is a slice of it: one allocation for all of a response's values, not one per
/// value, and no second copy.
pub fn append_headers(map: &mut HeaderMap, r: &CoreResponse<'_>) {
    let (count, total) = r
        .headers()
        .fold((0, 0), |(n, len), (_, v)| (n + 1, len + v.len()));
    if count == 0 {
        return;
    }
    map.reserve(count);
    let mut values = bytes::BytesMut::with_capacity(total);
    for (_, v) in r.headers() {
        values.extend_from_slice(v.as_bytes());
    }
    let mut values = values.freeze();
    for (k, v) in r.headers() {
        let value = values.split_to(v.len());
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_maybe_shared(value),
        ) {
            map.append(name, value);
        }
    }
}

/// A plain-text error response for an error of a flow.
pub fn error_response(e: &AuthError) -> http::Response<Full<Bytes>> {
    let mut res = http::Response::new(Full::new(Bytes::from(e.message())));
    *res.status_mut() =
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// 401 `{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}`.
pub fn unauthorized() -> http::Response<Full<Bytes>> {
    let body = flow::NOT_AUTHENTICATED_JSON;
    let mut res = http::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
