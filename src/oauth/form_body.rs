//! Pieces shared by the form bodies of the requests in [`super::ciba`], [`super::par`] and
//! [`super::token_exchange`]: client credentials after a `client_id` already in the body, JSON
//! strings form-encoded, and the end of a body with its `Authorization` header.

use super::client_auth::{ClientAuth, basic_auth, write_client_auth};
use super::token::TokenRequest;
use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form::{FormWriter, push_form, query_pairs};
use crate::codec::json::JsonStr;
use crate::codec::time::UnixTime;
use rand_core::CryptoRngCore;

/// Room for the client authentication members (a `private_key_jwt` assertion is about 500
/// bytes).
const CREDENTIALS_LEN: usize = 1536;

/// Appends the client authentication members of [`write_client_auth`] except `client_id`, for
/// a body that already carries `client_id` in its place (oauth4webapi's `body.set("client_id")`
/// keeps an existing pair where it is, and the credentials follow at the end).
pub(crate) fn write_client_credentials(
    f: &mut FormWriter<'_, '_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
) -> Result<(), Error> {
    let mut scratch = [0u8; CREDENTIALS_LEN];
    let mut w = Writer::new(&mut scratch, "client authentication");
    {
        let mut cf = FormWriter::new(&mut w, '\0');
        write_client_auth(&mut cf, client_id, auth, issuer, now, rng)?;
    }
    // The members are form-encoded already: decoding and encoding them again in `pair_raw`
    // gives the same bytes.
    for (k, v) in query_pairs(w.as_str()) {
        if k != "client_id" {
            f.pair_raw(k, v)?;
        }
    }
    // The credentials (a client secret) are not left on the stack.
    scratch.iter_mut().for_each(|b| *b = 0);
    Ok(())
}

/// Appends a JSON string's characters form-encoded.
pub(crate) fn push_form_json(w: &mut Writer<'_>, s: JsonStr<'_>) -> Result<(), Error> {
    match s.as_str() {
        Some(plain) => push_form(w, plain),
        None => {
            for c in s.chars() {
                let mut tmp = [0u8; 4];
                push_form(w, c.encode_utf8(&mut tmp))?;
            }
            Ok(())
        }
    }
}

/// Appends, form-encoded, the text `write` produces (a JSON value, say), with no scratch
/// buffer: the text is written into the unused part of `w`, then encoded in place from its
/// end (each character's encoding is at least as long as the character, so the write position
/// never passes what is still to be read).
pub(crate) fn push_form_with(
    w: &mut Writer<'_>,
    write: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let overflow = w.overflow();
    let spare = w.spare_mut();
    let n = {
        let mut t = Writer::new(spare, "form value");
        write(&mut t).map_err(|e| match e {
            Error::BufferTooSmall { .. } => overflow,
            e => e,
        })?;
        t.len()
    };
    let encode = |c: &str, out: &mut [u8; 12]| -> Result<usize, Error> {
        let mut ew = Writer::new(out, "form value");
        push_form(&mut ew, c)?;
        Ok(ew.len())
    };
    let mut total = 0usize;
    {
        let text = spare
            .get(..n)
            .and_then(|t| core::str::from_utf8(t).ok())
            .ok_or(overflow)?;
        let mut tmp = [0u8; 4];
        let mut out = [0u8; 12];
        for c in text.chars() {
            total = total.saturating_add(encode(c.encode_utf8(&mut tmp), &mut out)?);
        }
    }
    if total > spare.len() {
        return Err(overflow);
    }
    let (mut i, mut j) = (n, total);
    while i > 0 {
        // The start of the last character before `i`.
        let mut s = i - 1;
        while s > 0 && spare.get(s).is_some_and(|b| b & 0xC0 == 0x80) {
            s -= 1;
        }
        let mut ch = [0u8; 4];
        let len = i - s;
        ch.get_mut(..len)
            .zip(spare.get(s..i))
            .map(|(d, src)| d.copy_from_slice(src))
            .ok_or(overflow)?;
        let c = core::str::from_utf8(ch.get(..len).unwrap_or(&[])).map_err(|_| overflow)?;
        let mut out = [0u8; 12];
        let m = encode(c, &mut out)?;
        j = j.checked_sub(m).ok_or(overflow)?;
        spare
            .get_mut(j..j + m)
            .zip(out.get(..m))
            .map(|(d, src)| d.copy_from_slice(src))
            .ok_or(overflow)?;
        i = s;
    }
    w.advance(total);
    Ok(())
}

/// Ends a body written into `w`, and writes the `Authorization` value of
/// `client_secret_basic` into the rest of the buffer.
pub(crate) fn finish<'b>(
    w: Writer<'b>,
    client_id: &str,
    auth: &ClientAuth<'_>,
) -> Result<TokenRequest<'b>, Error> {
    let (body, rest) = w.into_parts();
    let body: &'b [u8] = body;
    let body = core::str::from_utf8(body).unwrap_or("");
    let authorization = match auth {
        ClientAuth::SecretBasic(secret) => Some(basic_auth(client_id, secret, rest)?),
        _ => None,
    };
    Ok(TokenRequest {
        body,
        authorization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::jwk::EcKeyPair;
    extern crate std;

    fn credentials(auth: &ClientAuth<'_>) -> heapless::String<1536> {
        let mut buf = [0u8; 1536];
        let mut w = Writer::new(&mut buf, "t");
        {
            let mut f = FormWriter::new(&mut w, '\0');
            f.pair("client_id", "c id").unwrap();
            write_client_credentials(
                &mut f,
                "c id",
                auth,
                "https://t/",
                100,
                &mut rand_core::OsRng,
            )
            .unwrap();
        }
        heapless::String::try_from(w.as_str()).unwrap()
    }

    #[test]
    fn form_encoding_in_place() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf, "t");
        w.push_str("a=").unwrap();
        push_form_with(&mut w, |t| t.push_str(r#"{"k":"v é/x y"}"#)).unwrap();
        assert_eq!(w.as_str(), "a=%7B%22k%22%3A%22v+%C3%A9%2Fx+y%22%7D");
        // Too small for the encoded text (but not for the text itself) is an error, with the
        // outer buffer's name; the text written so far is kept.
        let mut buf = [0u8; 20];
        let mut w = Writer::new(&mut buf, "outer");
        w.push_str("a=").unwrap();
        assert_eq!(
            push_form_with(&mut w, |t| t.push_str("{{{{{{{")),
            Err(Error::BufferTooSmall {
                what: "outer",
                capacity: 20
            })
        );
        assert_eq!(w.as_str(), "a=");
        assert!(push_form_with(&mut w, |t| t.push_str(&"x".repeat(30))).is_err());
        assert!(push_form_with(&mut w, |t| t.push_str("")).is_ok());
        assert_eq!(w.as_str(), "a=");
    }

    #[test]
    fn credentials_follow_the_client_id_already_written() {
        assert_eq!(
            credentials(&ClientAuth::SecretPost("s&e cret")),
            "client_id=c+id&client_secret=s%26e+cret"
        );
        assert_eq!(credentials(&ClientAuth::SecretBasic("s")), "client_id=c+id");
        assert_eq!(credentials(&ClientAuth::None), "client_id=c+id");
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let pkj = credentials(&ClientAuth::PrivateKeyJwt(&key));
        assert!(pkj.starts_with("client_id=c+id&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ey"));
        assert_eq!(pkj.matches("client_id=").count(), 1);
    }
}
