//! [`Unreachable`]: a transport whose every request fails, as a provider that is down does.

use crate::http::{OutgoingRequest, ResponseHead};
use crate::runtime::{Transport, TransportError};

/// A [`Transport`] that answers every request with the same [`TransportError`]: a provider
/// that refuses connections ([`TransportError::Connect`], the default), hangs past the
/// runtime's timeout ([`TransportError::Timeout`]), or fails TLS.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // a newtype over the error it answers with
pub struct Unreachable(pub TransportError);

impl Default for Unreachable {
    fn default() -> Self {
        Unreachable(TransportError::Connect)
    }
}

impl Transport for Unreachable {
    async fn send(
        &self,
        _req: &OutgoingRequest<'_>,
        _buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        Err(self.0)
    }
}
