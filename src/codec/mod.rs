//! Codecs of public formats, shared by every protocol area: base64url, a bounded writer, JSON,
//! URLs and form encoding, and HTTP dates. Nothing here knows about OAuth or sessions.

pub mod base64url;
pub mod buf;
pub mod form;
pub mod json;
pub mod time;
pub mod url;
