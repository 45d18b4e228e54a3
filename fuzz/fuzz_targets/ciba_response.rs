//! CIBA answers: the authentication response and the polls' answers (any status, any
//! `Retry-After`), driven through the poller. Never panics; what is accepted is well formed;
//! the poller never schedules a poll in the past nor after the deadline; `Retry-After` dates
//! round-trip.
#![no_main]
use auth0_edge::codec::buf::display;
use auth0_edge::codec::time::HttpDate;
use auth0_edge::oauth::ciba::{self, CibaError, PollAnswer, Poller};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let status = match sel % 5 {
        0 => 200,
        1 => 400,
        2 => 503,
        3 => 401,
        _ => 200 + u16::from(sel),
    };
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let (head, body) = rest.split_at(split);
    let body = body.get(1..).unwrap_or(&[]);
    let retry_after = core::str::from_utf8(head).ok().filter(|_| sel & 0x80 != 0);

    let mut poller = None;
    match ciba::parse_authentication_response(status, body) {
        Ok(r) => {
            assert_eq!(status, 200);
            assert!(!r.auth_req_id.is_empty());
            assert!(r.expires_in >= 0);
            assert!(r.interval.is_none_or(|i| i > 0));
            let p = Poller::new(&r, NOW);
            assert!(p.deadline >= NOW && p.next_at > NOW);
            poller = Some(p);
        }
        Err(e) => {
            assert_eq!(e.code(), ciba::ERROR_CODE);
            let _ = e.to_string();
        }
    }
    let answer = ciba::classify_poll(status, retry_after, body, NOW);
    match &answer {
        PollAnswer::Done(t) => {
            assert!((200..300).contains(&status));
            assert!(!t.access_token.is_empty());
        }
        PollAnswer::Pending { .. } | PollAnswer::SlowDown { .. } => {
            assert!((400..500).contains(&status))
        }
        PollAnswer::RetryAfter(_) => assert!(status == 503 && retry_after.is_some()),
        PollAnswer::Failed(e) => {
            assert!(!matches!(e, CibaError::NotSupported | CibaError::Expired));
            let _ = e.to_string();
        }
        _ => {}
    }
    if let Some(mut p) = poller {
        let before = p;
        p.answer(&answer, NOW);
        assert!(p.interval >= before.interval);
        assert!(p.next_at >= NOW);
        match p.wait(NOW) {
            Ok(secs) => assert!(i64::try_from(secs).unwrap() < p.deadline - NOW),
            Err(e) => assert_eq!(e, CibaError::Expired),
        }
    }

    // Retry-After: never panics; an HTTP date written for a time reads back as that time.
    if let Some(v) = retry_after {
        let _ = ciba::parse_retry_after(v, NOW);
        // Any clock, however absurd.
        let mut now = [0u8; 8];
        for (d, s) in now.iter_mut().zip(body) {
            *d = *s;
        }
        let _ = ciba::parse_retry_after(v, i64::from_le_bytes(now));
    }
    if let Some(bytes) = rest.get(..5) {
        let mut t = [0u8; 8];
        t[..5].copy_from_slice(bytes);
        // Years 1970 to 9999: what HttpDate writes with four digits.
        let t = i64::from_le_bytes(t) % 253_402_300_800;
        let mut buf = [0u8; 40];
        let date = display(&mut buf, &HttpDate(t)).unwrap();
        assert_eq!(ciba::parse_retry_after(date, t), Some(0), "{date}");
        assert_eq!(ciba::parse_retry_after(date, t - 7), Some(7), "{date}");
    }
});
