//! The discovery document: never panics; what parses has its required URLs.
#![no_main]
use auth0_edge::oauth::discovery::Metadata;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(m) = Metadata::parse(text) {
        assert!(!m.issuer.is_empty() && !m.token_endpoint.is_empty() && !m.jwks_uri.is_empty());
        let _ = m.supports_id_token_alg("RS256");
        let _ = auth0_edge::codec::url::Url::parse(m.token_endpoint);
    }
});
