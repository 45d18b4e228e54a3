//! The core's own small view of HTTP, so no HTTP crate's types appear in its API.
//!
//! Incoming requests are a [`Request`] borrowing the runtime's data; responses the core makes
//! are written by a [`ResponseBuilder`] into a caller buffer and read back as a [`Response`].
//! Outgoing requests (to the provider) are an [`OutgoingRequest`]; the runtime writes the
//! answer into a caller buffer as an [`IncomingResponse`].

use crate::Error;
use crate::codec::buf::Writer;
use core::fmt;

pub mod h1;
mod outgoing;
mod request;
mod response;
pub use h1::{H1Error, RequestHead, ResponseParser};
pub use outgoing::*;
pub use request::*;
pub use response::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_a_response() {
        let mut buf = [0u8; 256];
        let mut b = ResponseBuilder::new(&mut buf, 307);
        b.header("Location", "https://example.com/").unwrap();
        b.header("Set-Cookie", "a=1").unwrap();
        b.header("Set-Cookie", "b=2").unwrap();
        assert!(b.header("X", "bad\r\nInjected: 1").is_err());
        let r = b.body(Some("text/plain"), b"hi").unwrap();
        assert_eq!(r.status, 307);
        assert_eq!(r.header("location"), Some("https://example.com/"));
        assert_eq!(r.headers().filter(|(k, _)| *k == "Set-Cookie").count(), 2);
        assert_eq!(r.body_str(), "hi");
    }

    #[test]
    fn request_views() {
        let h = [("Cookie", "a=1"), ("Host", "x")];
        let r = Request::get("/auth/login?returnTo=%2F", &h);
        assert_eq!(
            (r.path, r.query, r.cookie()),
            ("/auth/login", "returnTo=%2F", "a=1")
        );
        let resp = IncomingResponse {
            status: 200,
            headers: "DPoP-Nonce: abc\r\nContent-Type: x",
            body: b"",
        };
        assert_eq!(resp.header("dpop-nonce"), Some("abc"));
    }
}
