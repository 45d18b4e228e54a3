//! Host names to addresses: the [`Resolver`] seam of [`EmbassyTransport`](super::EmbassyTransport),
//! with embassy-net's DNS client ([`DnsResolver`]) and a fixed table ([`StaticResolver`]).
//!
//! The transport connects to an address literal in the URL without asking the resolver; the
//! name a certificate is checked against is always the URL's host, whatever address it
//! resolves to.

use crate::runtime::TransportError;
use embassy_net::dns::DnsQueryType;
use embassy_net::{IpAddress, Stack};

/// Resolves a host name to the address to connect to.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: embassy executors are single-threaded.
pub trait Resolver {
    /// The address of `host` (a DNS name), or [`TransportError::Connect`].
    async fn resolve(&self, host: &str) -> Result<IpAddress, TransportError>;
}

impl<T: Resolver + ?Sized> Resolver for &T {
    async fn resolve(&self, host: &str) -> Result<IpAddress, TransportError> {
        (**self).resolve(host).await
    }
}

/// Resolves names with the stack's DNS client (`A` records, the servers of the stack's
/// configuration or DHCP lease).
#[derive(Clone, Copy)]
pub struct DnsResolver<'d> {
    stack: Stack<'d>,
}

impl<'d> DnsResolver<'d> {
    /// A resolver asking `stack`'s DNS servers.
    pub fn new(stack: Stack<'d>) -> Self {
        DnsResolver { stack }
    }
}

impl core::fmt::Debug for DnsResolver<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DnsResolver").finish_non_exhaustive()
    }
}

impl Resolver for DnsResolver<'_> {
    async fn resolve(&self, host: &str) -> Result<IpAddress, TransportError> {
        let answers = self
            .stack
            .dns_query(host, DnsQueryType::A)
            .await
            .map_err(|_| TransportError::Connect)?;
        answers.first().copied().ok_or(TransportError::Connect)
    }
}

/// Resolves names from a fixed table (case-insensitive), for devices that talk to a few known
/// hosts, and for test links.
#[derive(Clone, Copy, Debug)]
pub struct StaticResolver<'a> {
    entries: &'a [(&'a str, IpAddress)],
}

impl<'a> StaticResolver<'a> {
    /// A resolver answering from `entries`.
    pub const fn new(entries: &'a [(&'a str, IpAddress)]) -> Self {
        StaticResolver { entries }
    }
}

impl Resolver for StaticResolver<'_> {
    async fn resolve(&self, host: &str) -> Result<IpAddress, TransportError> {
        self.entries
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, addr)| *addr)
            .ok_or(TransportError::Connect)
    }
}
