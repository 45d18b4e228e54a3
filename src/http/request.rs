//! Incoming requests as the core sees them: a [`Request`] borrowing the runtime's data, and
//! case-insensitive [`Headers`].

use super::*;

/// Case-insensitive access to request or response headers.
pub trait Headers {
    /// The value of header `name` (ASCII case-insensitive). For `cookie`, a runtime that got
    /// several `Cookie` headers (HTTP/2) must return them joined with `"; "`.
    fn get(&self, name: &str) -> Option<&str>;
}

impl Headers for &[(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

impl<const N: usize> Headers for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// An incoming request, as the core sees it.
#[derive(Clone, Copy)]
#[allow(clippy::exhaustive_structs)] // built by runtimes with a struct literal
pub struct Request<'a> {
    /// The method, upper case (`GET`, `POST`).
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The raw query, without `?` (empty when there is none).
    pub query: &'a str,
    /// The headers.
    pub headers: &'a (dyn Headers + Sync),
    /// The body (only read for form posts such as back-channel logout).
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// A `GET` of `path_and_query` with these headers.
    pub fn get(path_and_query: &'a str, headers: &'a (dyn Headers + Sync)) -> Self {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Request {
            method: "GET",
            path,
            query,
            headers,
            body: &[],
        }
    }

    /// The `Cookie` header, or `""`.
    pub fn cookie(&self) -> &'a str {
        self.headers.get("cookie").unwrap_or("")
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}
