//! Scope strings (RFC 6749 §3.3): space-separated scope tokens, compared as sets.

use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::json::JsonStr;

/// Whether `scope` (as read from a document, escapes and all) has the token `token`.
fn has(scope: JsonStr<'_>, token: &str) -> bool {
    if let Some(s) = scope.as_str() {
        return s.split(' ').any(|t| t == token);
    }
    // Escaped text (rare): compare token by token over the decoded characters.
    let mut chars = scope.chars();
    loop {
        let mut want = token.chars();
        let mut same = true;
        loop {
            match chars.next() {
                None => return same && want.next().is_none(),
                Some(' ') => {
                    if same && want.next().is_none() {
                        return true;
                    }
                    break;
                }
                Some(c) => same &= want.next() == Some(c),
            }
        }
    }
}

/// Whether every scope token of `wanted` is in `have` (an empty `wanted` is covered by
/// anything).
///
/// ```
/// use auth0_edge::oauth::scope::covers;
/// assert!(covers("openid profile read:x".into(), "read:x openid"));
/// assert!(!covers("openid profile".into(), "read:x"));
/// ```
pub fn covers(have: JsonStr<'_>, wanted: &str) -> bool {
    wanted
        .split(' ')
        .filter(|s| !s.is_empty())
        .all(|w| has(have, w))
}

/// How many scope tokens `scope` has.
pub fn count(scope: JsonStr<'_>) -> usize {
    let mut n = 0;
    let mut in_token = false;
    for c in scope.chars() {
        if c == ' ' {
            in_token = false;
        } else if !in_token {
            in_token = true;
            n += 1;
        }
    }
    n
}

/// Writes the tokens of `a` then those of `b`, each once, in first-seen order (no sorting),
/// into `w`, which must be empty: the SDK's scope merge.
///
/// ```
/// let mut buf = [0u8; 64];
/// let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "scope");
/// auth0_edge::oauth::scope::merge(&mut w, "openid profile openid", "read:x profile")?;
/// assert_eq!(w.as_str(), "openid profile read:x");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn merge(w: &mut Writer<'_>, a: &str, b: &str) -> Result<(), Error> {
    for s in a.split(' ').chain(b.split(' ')).filter(|s| !s.is_empty()) {
        if !w.as_str().split(' ').any(|x| x == s) {
            if !w.is_empty() {
                w.push_ascii(b' ')?;
            }
            w.push_str(s)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_merging_and_supersets() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf, "t");
        merge(
            &mut w,
            "openid profile openid email",
            "read:x profile write:y",
        )
        .unwrap();
        assert_eq!(w.as_str(), "openid profile email read:x write:y");
        assert!(covers("openid profile read:x".into(), "read:x openid"));
        assert!(!covers("openid profile".into(), "read:x"));
        assert!(covers("anything".into(), ""));
    }

    #[test]
    fn escaped_scopes_compare_like_plain_ones() {
        let mut doc = [0u8; 64];
        let o = crate::codec::json::Object::parse(r#"{"s":"openid r\u0065ad:x  write"}"#).unwrap();
        let s = o.get_str("s").unwrap();
        assert!(s.as_str().is_none());
        assert!(covers(s, "read:x openid write"));
        assert!(!covers(s, "read"));
        assert_eq!(count(s), 3);
        assert_eq!(s.unescape_into(&mut doc).unwrap(), "openid read:x  write");
        assert!(covers("anything".into(), ""));
    }
}
