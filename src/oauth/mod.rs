//! OAuth 2.0 and OpenID Connect messages (sans-IO): each file builds one request or checks one
//! response, into caller buffers.
//!
//! | module | message | reference |
//! |---|---|---|
//! | [`discovery`] | provider metadata | OpenID Connect Discovery 1.0 |
//! | [`authorize`] | the authorization request URL, transaction cookie names and eviction | RFC 6749 §4.1.1, RFC 7636, RFC 9449 §10 |
//! | [`par`] | pushed authorization requests: the push, its answer, the browser's redirect | RFC 9126 |
//! | [`authorization_response`] | the callback's query: `state`, `code`, `error`, `iss` | RFC 6749 §4.1.2, RFC 9207 |
//! | [`transaction`] | the login transaction cookie | Next.js SDK v4 |
//! | [`pkce`] | `code_verifier` / `code_challenge`, `state`, `nonce` | RFC 7636 |
//! | [`scope`] | scope strings as sets: cover, count, merge | RFC 6749 §3.3 |
//! | [`token`] | token and revocation requests, token responses | RFC 6749 §4.1.3, §6; RFC 7009; RFC 8707 |
//! | [`token_exchange`] | the Token Vault connection-token exchange and the session's `connectionTokenSets` entries | RFC 8693, Auth0 Token Vault |
//! | [`client_auth`] | client authentication | RFC 6749 §2.3.1, RFC 7523 |
//! | [`id_token`] | ID token validation and the claims kept in a session | OpenID Connect Core §3.1.3.7 |
//! | [`ciba`] | Client-Initiated Backchannel Authentication (poll mode): the request, its answer, the polls and their schedule | OpenID Connect CIBA Core 1.0 |
//! | [`logout`] | logout URLs | OpenID Connect RP-Initiated Logout 1.0, Auth0 `/v2/logout` |
//! | [`logout_token`] | back-channel logout tokens and their `jti` replay cache | OpenID Connect Back-Channel Logout 1.0 |
//! | [`mfa`] | the `mfa_required` step-up answer, the encrypted MFA token, the 403 body | Next.js SDK v4, Auth0 MFA API |
//! | [`dpop`] | DPoP proofs, nonces and the retry delay | RFC 9449 |
//! | [`dpop_resource`] | DPoP at a resource server: the `Authorization` scheme, `WWW-Authenticate` challenges, the fetcher's URLs and errors | RFC 9449 §7, §9; RFC 9110 §11.6 |

pub mod authorization_response;
pub mod authorize;
pub mod ciba;
pub mod client_auth;
pub mod discovery;
pub mod dpop;
pub mod dpop_resource;
mod form_body;
pub mod id_token;
pub mod logout;
pub mod logout_token;
pub mod mfa;
pub mod par;
pub mod pkce;
pub mod scope;
pub mod token;
pub mod token_exchange;
pub mod transaction;

pub use client_auth::ClientAuth;
pub use token::{
    Grant, OAuthError, TokenRequest, TokenResponse, TokenResponseError, parse_token_response,
    revocation_request, token_request,
};
