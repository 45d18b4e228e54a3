//! The HTTP/1.1 response parser: never panics; fed in any pieces it reads the same response as
//! fed at once; what it reads fits the buffer and is the layout the Transport contract says.
#![no_main]
use auth0_edge::http::h1::{Limits, ResponseParser};
use libfuzzer_sys::fuzz_target;

fn parse(
    input: &[u8],
    split: &[usize],
    is_head: bool,
    out: &mut [u8],
) -> Option<Result<(u16, usize, usize), auth0_edge::http::H1Error>> {
    let mut p = ResponseParser::with_limits(is_head, Limits::new(256, 16));
    let mut rest = input;
    let mut sizes = split.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next()?).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        match p.feed(piece, out) {
            Ok(used) => assert!(used <= piece.len()),
            Err(e) => return Some(Err(e)),
        }
        if p.is_complete() {
            break;
        }
        rest = tail;
    }
    Some(p.finish().map(|h| (h.status, h.headers_len, h.body_len)))
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let is_head = control & 0x80 != 0;
    let cap = 64 + usize::from(control & 0x7f) * 16;
    let split = [
        usize::from(control % 7) + 1,
        1,
        3,
        usize::from(control % 13) + 2,
    ];
    let mut whole = vec![0u8; cap];
    let mut pieces = vec![0u8; cap];
    let a = parse(input, &[input.len().max(1)], is_head, &mut whole).unwrap();
    let b = parse(input, &split, is_head, &mut pieces).unwrap();
    assert_eq!(a, b);
    if let Ok((status, headers_len, body_len)) = a {
        assert!((100..=599).contains(&status) && !(100..200).contains(&status));
        assert!(headers_len + body_len <= cap);
        assert_eq!(
            whole[..headers_len + body_len],
            pieces[..headers_len + body_len]
        );
        let headers = core::str::from_utf8(&whole[..headers_len]).expect("header lines are ASCII");
        assert!(headers.is_empty() || headers.ends_with("\r\n"));
        for line in headers.split_terminator("\r\n") {
            let (name, value) = line.split_once(": ").expect("Name: value");
            assert!(!name.is_empty() && !name.contains([' ', '\t', '\r', '\n', ':']));
            assert!(!value.contains(['\r', '\n']) && value.trim() == value);
        }
    }
});
