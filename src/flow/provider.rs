//! The provider's documents: discovery metadata and the JWKS, from the cache or fetched (with
//! the cache policy: TTLs, one forced JWKS refetch per interval on an unknown `kid`), and ID
//! token validation against them.

use super::*;
use core::borrow::Borrow;

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'c, T, C, P, S, H, K>
{
    /// The provider metadata, from the cache or fetched (`<domain>/.well-known/openid-configuration`).
    ///
    /// A fetched document is checked ([`Metadata::check`]) and only its compact form
    /// ([`Metadata::write_compact`]) is kept, in the work buffer and in the cache: the document
    /// itself takes room only while it is read.
    pub(crate) async fn metadata<'b>(
        &self,
        arena: &mut Arena<'b>,
    ) -> Result<Metadata<'b>, AuthError> {
        let now = self.now();
        if let Some(doc) = arena.fill(|buf| {
            let (n, at) = self.cache.load(Entry::Discovery, buf)?;
            (now - at < discovery::DISCOVERY_TTL && now >= at).then_some(n)
        }) && let Ok(text) = core::str::from_utf8(doc)
            && let Ok(m) = Metadata::parse(text)
        {
            return Ok(m);
        }
        let url = arena.write(|w| discovery::write_url(w, &self.config))?;
        let text = self
            .fetch_compact(url, Entry::Discovery, arena, |doc, w| {
                let m = Metadata::parse(doc)
                    .map_err(|e| AuthError::Discovery(DiscoveryFailure::Invalid(e)))?;
                m.check(&self.config)
                    .map_err(|e| AuthError::Discovery(DiscoveryFailure::Untrusted(e)))?;
                Ok(m.write_compact(w)?)
            })
            .await?;
        Metadata::parse(text).map_err(|e| AuthError::Discovery(DiscoveryFailure::Invalid(e)))
    }

    /// GETs a provider document (discovery or JWKS), checks it is 200 and UTF-8, lets
    /// `compact` check it and write what to keep of it, and keeps (and caches as `entry`) only
    /// that, in the arena.
    async fn fetch_compact<'b>(
        &self,
        url: &str,
        entry: Entry,
        arena: &mut Arena<'b>,
        compact: impl FnOnce(&str, &mut Writer<'_>) -> Result<(), AuthError>,
    ) -> Result<&'b str, AuthError> {
        let now = self.now();
        let req = OutgoingRequest {
            method: "GET",
            url,
            headers: &[("Accept", "application/json")],
            body: &[],
        };
        let kept = arena
            .fetch_then(
                &self.transport,
                &req,
                |e| AuthError::Discovery(DiscoveryFailure::Transport(e)),
                |res, spare| {
                    if res.status != 200 {
                        return Err(AuthError::Discovery(DiscoveryFailure::Status(res.status)));
                    }
                    let text = core::str::from_utf8(res.body).map_err(|_| {
                        AuthError::Discovery(DiscoveryFailure::Invalid(
                            crate::JsonError::Utf8.into(),
                        ))
                    })?;
                    let mut w = Writer::new(spare, "provider document (compact)");
                    compact(text, &mut w)?;
                    Ok(w.len())
                },
            )
            .await?;
        // Only documents of the right shape (and metadata that can be trusted) get here.
        self.cache.store(entry, kept, now);
        core::str::from_utf8(kept).map_err(|_| {
            AuthError::Discovery(DiscoveryFailure::Invalid(crate::JsonError::Utf8.into()))
        })
    }

    /// The JWKS, from the cache or fetched; `force` refetches (at most once per
    /// [`discovery::JWKS_REFETCH_INTERVAL`]). A fetched set is kept (in the work buffer and in
    /// the cache) in its compact form ([`Jwks::write_compact`]: the usable keys, without their
    /// certificates).
    pub(crate) async fn jwks<'b>(
        &self,
        m: &Metadata<'_>,
        force: bool,
        arena: &mut Arena<'b>,
    ) -> Result<Option<Jwks<'b>>, AuthError> {
        let now = self.now();
        if force {
            if self
                .cache
                .last_forced_jwks_fetch()
                .is_some_and(|t| now - t < discovery::JWKS_REFETCH_INTERVAL && now >= t)
            {
                return Ok(None);
            }
            self.cache.set_last_forced_jwks_fetch(now);
        } else if let Some(doc) = arena.fill(|buf| {
            let (n, at) = self.cache.load(Entry::Jwks, buf)?;
            (now - at < discovery::JWKS_TTL && now >= at).then_some(n)
        }) && let Ok(text) = core::str::from_utf8(doc)
            && let Ok(set) = Jwks::parse(text)
        {
            return Ok(Some(set));
        }
        let invalid = |e| AuthError::Discovery(DiscoveryFailure::Invalid(e));
        let text = self
            .fetch_compact(m.jwks_uri, Entry::Jwks, arena, |doc, w| {
                Jwks::parse(doc).map_err(invalid)?.write_compact(w)?;
                Ok(())
            })
            .await?;
        Ok(Some(Jwks::parse(text).map_err(invalid)?))
    }

    /// Validates an ID token against the JWKS, refetching the JWKS once if no key fits.
    pub(crate) async fn validate_id_token<'b>(
        &self,
        token: &str,
        m: &Metadata<'_>,
        nonce: Option<&str>,
        max_age: Option<i64>,
        arena: &mut Arena<'b>,
    ) -> Result<Object<'b>, AuthError> {
        let expected = crate::oauth::id_token::Expected {
            issuer: m.issuer,
            client_id: self.config.client_id,
            nonce,
            max_age,
            leeway: self.config.jwt_clock_tolerance(),
            trusted_audiences: self.config.id_token_trusted_audiences,
        };
        let now = self.protocol_now();
        let grant_err = |e| AuthError::AuthorizationCodeGrant(GrantFailure::IdToken(e));
        let no_key =
            crate::oauth::id_token::IdTokenError::Signature(crate::JwsError::NoMatchingKey);
        let mut force = false;
        loop {
            let result = {
                let mut scratch = arena.checkpoint();
                match self.jwks(m, force, &mut scratch).await? {
                    None => Err(no_key),
                    Some(jwks) => {
                        let buf = scratch.take(token.len())?;
                        crate::oauth::id_token::validate(
                            token,
                            &jwks,
                            |a| m.supports_id_token_alg(a),
                            &expected,
                            now,
                            buf,
                        )
                        .map(|_| ())
                    }
                }
            };
            match result {
                Ok(()) => break,
                // An unknown key: the provider may have rotated its keys; fetch the JWKS once.
                Err(e) if e == no_key && !force => force = true,
                Err(e) => return Err(grant_err(e)),
            }
        }
        // The signature and claims are good: decode the claims into memory that lasts.
        let compact = crate::jose::jws::Compact::split(token)
            .map_err(|e| grant_err(crate::oauth::id_token::IdTokenError::Signature(e)))?;
        let out = arena.take(compact.payload.len())?;
        let n = crate::codec::base64url::decode(compact.payload, out)
            .map_err(|_| {
                grant_err(crate::oauth::id_token::IdTokenError::Claims(
                    crate::JwtError::Claims,
                ))
            })?
            .len();
        let out: &'b [u8] = &out[..n];
        Object::parse_bytes(out).map_err(|_| {
            grant_err(crate::oauth::id_token::IdTokenError::Claims(
                crate::JwtError::Claims,
            ))
        })
    }
}
