//! The HTTP/1.1 request-head writer: never panics; what it accepts is one well-formed head
//! (no line break but the line ends, the caller's headers as given), whatever the input.
#![no_main]
use auth0_edge::http::h1::RequestHead;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    // Fields separated by '|': method, host, path, query, then header names and values.
    let mut f = text.split('|');
    let (Some(method), Some(host), Some(path)) = (f.next(), f.next(), f.next()) else {
        return;
    };
    let query = f.next().filter(|q| !q.is_empty());
    let rest: Vec<&str> = f.collect();
    let headers: Vec<(&str, &str)> = rest
        .chunks(2)
        .map(|c| (c[0], *c.get(1).unwrap_or(&"")))
        .collect();
    let body_len = text.len() % 100;
    let Ok(head) = RequestHead::new(method, host, path, query, &headers, body_len) else {
        return;
    };
    let mut out = vec![0u8; head.len()];
    assert_eq!(head.write_into(&mut out), Ok(head.len()));
    let s = core::str::from_utf8(&out).unwrap();
    let (lines, end) = s.split_at(s.len() - 4);
    assert_eq!(end, "\r\n\r\n");
    let lines: Vec<&str> = lines.split("\r\n").collect();
    assert!(
        lines
            .iter()
            .all(|l| !l.contains(['\r', '\n']) && !l.is_empty())
    );
    let target = if path.is_empty() { "/" } else { path };
    let q = query.map(|q| format!("?{q}")).unwrap_or_default();
    assert_eq!(lines[0], format!("{method} {target}{q} HTTP/1.1"));
    assert_eq!(lines[1], format!("Host: {host}"));
    for (i, (k, v)) in headers.iter().enumerate() {
        assert_eq!(lines[2 + i], format!("{k}: {v}"));
    }
    assert!(head.write_into(&mut out[..head.len() - 1]).is_err());
});
