//! Token endpoint responses, any status: never panics; a success has an access token.
#![no_main]
use auth0_edge::oauth::{parse_token_response, TokenResponseError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data.split_first() {
        Some((&s, rest)) => (if s < 128 { 200 } else { 400 + u16::from(s & 0x7f) }, rest),
        None => return,
    };
    match parse_token_response(status, body) {
        Ok(t) => {
            assert!(!t.access_token.is_empty());
            assert!((200..300).contains(&status));
        }
        Err(TokenResponseError::OAuth { error, .. }) => {
            let _ = error.error.to_string();
        }
        Err(_) => {}
    }
});
