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
/// header of an HTTP/1.1 request is borrowed, not copied. A value that is not UTF-8 is left
/// out.
pub fn cookie_header(headers: &HeaderMap) -> Cow<'_, str> {
    let mut all = headers.get_all(http::header::COOKIE).iter();
    match (all.next(), all.next()) {
        (None, _) => return Cow::Borrowed(""),
        (Some(one), None) => return Cow::Borrowed(header_str(one).unwrap_or("")),
        _ => {}
    }
    let mut out = String::new();
    for v in headers.get_all(http::header::COOKIE) {
        if let Some(v) = header_str(v) {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(v);
        }
    }
    Cow::Owned(out)
}

/// A header value as text when it is UTF-8. `HeaderValue` already refuses control characters
/// other than tab, so one UTF-8 check (vectorized by the standard library for ASCII) is all
/// that is left; bytes beyond ASCII are read as the Next.js SDK reads them, not dropped.
pub(crate) fn header_str(v: &HeaderValue) -> Option<&str> {
    std::str::from_utf8(v.as_bytes()).ok()
}

/// A core response's headers, owned: the values written once into one buffer, each header
/// value a slice of it (one allocation for all the values, none when there are none).
#[derive(Default)]
pub(crate) struct OwnedHeaders(Vec<(http::HeaderName, HeaderValue)>);

impl OwnedHeaders {
    /// The headers of `r`.
    pub(crate) fn of(r: &CoreResponse<'_>) -> Self {
        if r.head_len() == 0 {
            return OwnedHeaders(Vec::new());
        }
        // One pass over the head: the names, and the values copied side by side.
        let mut names = Vec::with_capacity(8);
        let mut values = bytes::BytesMut::with_capacity(r.head_len());
        for (k, v) in r.headers() {
            names.push((http::HeaderName::from_bytes(k.as_bytes()).ok(), v.len()));
            values.extend_from_slice(v.as_bytes());
        }
        let mut values = values.freeze();
        let mut out = Vec::with_capacity(names.len());
        for (name, len) in names {
            let value = values.split_to(len);
            if let (Some(name), Ok(value)) = (name, HeaderValue::from_maybe_shared(value)) {
                out.push((name, value));
            }
        }
        OwnedHeaders(out)
    }

    /// Appends them to `map`.
    pub(crate) fn append_to(self, map: &mut HeaderMap) {
        if self.0.is_empty() {
            return;
        }
        map.reserve(self.0.len());
        for (k, v) in self.0 {
            map.append(k, v);
        }
    }

    /// As a header map.
    pub(crate) fn into_map(self) -> HeaderMap {
        let mut map = HeaderMap::new();
        self.append_to(&mut map);
        map
    }
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
    OwnedHeaders::of(r).append_to(map);
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
