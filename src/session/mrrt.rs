//! Multi-resource refresh tokens: which `accessTokens` entry serves a request for an audience
//! and a scope (the SDK's `findAccessTokenSet`).

use super::*;
use crate::oauth::scope;

/// The index of the entry of `entries` that serves `audience` with the `requested` scope: the
/// same audience (both `None` counts as the same), a requested scope (else the granted one)
/// that covers `requested`, and, among several, the fewest granted scopes.
pub fn find_access_token(
    entries: &[AccessToken<'_>],
    audience: Option<&str>,
    requested: &str,
) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, e) in entries.iter().enumerate() {
        let same_audience = match (e.audience, audience) {
            (Some(a), Some(b)) => a == *b,
            (None, None) => true,
            _ => false,
        };
        let have = e.requested_scope.or(e.scope).unwrap_or_default();
        if same_audience && scope::covers(have, requested) {
            let granted = e.scope.map_or(0, scope::count);
            if best.is_none_or(|(_, g)| granted < g) {
                best = Some((i, granted));
            }
        }
    }
    best.map(|(i, _)| i)
}
