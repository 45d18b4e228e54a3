//! Pushed authorization answers: never panics; an accepted answer is a 201 with a
//! `request_uri`, and the browser's redirect carries exactly that `request_uri` and the
//! client id.
#![no_main]
use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::form;
use auth0_edge::oauth::par::{self, ParError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let status = match sel % 3 {
        0 => 201,
        1 => 400,
        _ => u16::from(sel) * 2,
    };
    match par::parse_response(status, body) {
        Ok(r) => {
            assert_eq!(status, 201);
            assert!(!r.request_uri.is_empty());
            assert!(r.expires_in >= 0);
            let mut url = vec![0u8; body.len() * 12 + 128];
            let mut w = Writer::new(&mut url, "url");
            par::write_redirect(
                &mut w,
                "https://t.auth0.com/authorize",
                "c id",
                r.request_uri,
            )
            .expect("fits");
            let query = w.as_str().split_once('?').expect("a query").1;
            let mut decoded = vec![0u8; query.len()];
            let uri = form::decode_component(
                form::query_get(query, "request_uri").unwrap(),
                &mut decoded,
            )
            .unwrap();
            assert!(r.request_uri == uri);
            assert_eq!(form::query_get(query, "client_id"), Some("c+id"));
            assert_eq!(form::query_pairs(query).count(), 2);
        }
        Err(e) => {
            assert_eq!(e.status(), 500);
            assert_eq!(e.message(), par::LOGIN_ERROR_MESSAGE);
            assert!(!matches!(e, ParError::NotSupported));
            let _ = e.to_string();
        }
    }
});
