//! The [`Transport`]: one request per connection, HTTP/1.1 over TLS 1.3 over embassy-net TCP.
//!
//! For each request: parse the URL with the core's [`Url`]; find the address (a literal as is,
//! a name through the [`Resolver`]); connect; open TLS with [`tls::connect`](super::connect)
//! and a fresh [`ServerVerifier`] for the URL's host at the clock's
//! time (the caller's response buffer holds the server's certificates until they are
//! checked, once the handshake is done); write the request head piece by piece into the TLS connection (it goes straight into
//! embedded-tls's record buffer), then the body; feed what arrives to the core's
//! [`ResponseParser`], which writes the header lines and the body into the caller's buffer;
//! close. The whole exchange runs under one embassy-time timeout.
//!
//! Memory: the transport borrows one [`TransportBuffers`] (TLS records and TCP windows,
//! 26 880 bytes by default) and holds it behind an async mutex, so concurrent requests wait
//! for each other instead of needing more buffers.

use super::TrustAnchors;
use super::frame::{OwnFrame, fill_pinned};
use super::resolve::Resolver;
use super::tls::{self, ServerVerifier};
use crate::codec::url::Url;
use crate::http::h1::{Limits, RequestHead, ResponseParser};
use crate::http::{OutgoingRequest, ResponseHead};
use crate::runtime::{Clock, Transport, TransportError};
use core::future::{Future, poll_fn};
use core::pin::{Pin, pin};
use core::task::Poll;
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, Stack};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::mutex::Mutex;
use embassy_time::{Duration, Timer, with_timeout};
use embedded_io_async::Write;
use rand_core::CryptoRngCore;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("auth0-edge/", env!("CARGO_PKG_VERSION"), " (embassy)");

/// Options of an [`EmbassyTransport`].
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct TransportOptions {
    /// Time allowed for a whole request: resolving, connecting, the handshake, the response.
    /// Default 10 s (the SDK's 5 s plus a slow device's handshake).
    pub timeout: Duration,
    /// Allows plain `http://` URLs to loopback hosts (`localhost`, `127.x.y.z`) only: for a
    /// test provider on the same machine. Off by default: any other `http://` URL, and this
    /// one when off, is refused with [`TransportError::Connect`] before anything is sent.
    pub allow_plain_http_to_loopback: bool,
    /// Line and header-count limits of the response parser.
    pub limits: Limits,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            timeout: Duration::from_secs(10),
            allow_plain_http_to_loopback: false,
            limits: Limits::DEFAULT,
        }
    }
}

/// The memory an [`EmbassyTransport`] works in: embedded-tls's record buffers and the TCP
/// socket's windows. Put it in a `static` (a `StaticCell`) or a long-lived task's frame.
///
/// - `TLS_READ`: one whole TLS record; 16 640 bytes holds any (servers send up to 16 KiB of
///   plaintext per record, and embedded-tls cannot take less unless the server agrees to RFC
///   6066 fragment lengths, which common servers do not).
/// - `TLS_WRITE`: the ClientHello and the request, split into records of this size.
/// - `TCP_RX`, `TCP_TX`: the TCP windows.
#[derive(Debug)]
pub struct TransportBuffers<
    const TLS_READ: usize = 16_640,
    const TLS_WRITE: usize = 4096,
    const TCP_RX: usize = 4096,
    const TCP_TX: usize = 2048,
> {
    tls_read: [u8; TLS_READ],
    tls_write: [u8; TLS_WRITE],
    tcp_rx: [u8; TCP_RX],
    tcp_tx: [u8; TCP_TX],
}

impl<const A: usize, const B: usize, const C: usize, const D: usize> TransportBuffers<A, B, C, D> {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        TransportBuffers {
            tls_read: [0; A],
            tls_write: [0; B],
            tcp_rx: [0; C],
            tcp_tx: [0; D],
        }
    }
}

impl<const A: usize, const B: usize, const C: usize, const D: usize> Default
    for TransportBuffers<A, B, C, D>
{
    fn default() -> Self {
        Self::new()
    }
}

struct Inner<'a, G> {
    rng: G,
    tls_read: &'a mut [u8],
    tls_write: &'a mut [u8],
    tcp_rx: &'a mut [u8],
    tcp_tx: &'a mut [u8],
}

/// A [`Transport`] over an embassy-net [`Stack`]: HTTP/1.1 over TLS 1.3 with verified
/// certificates (see the [module docs](self)).
///
/// `R` resolves names ([`DnsResolver`](super::DnsResolver) on a device), `C` is the clock the
/// certificates' validity is checked against ([`EmbassyClock`](super::EmbassyClock)), `G`
/// the randomness for TLS (the device's hardware RNG).
///
/// ```no_run
/// use auth0_edge::embassy::*;
/// # fn make(stack: embassy_net::Stack<'static>, rng: rand_core::OsRng, anchors: TrustAnchors<'static>) {
/// // The device's clock, set from SNTP or an RTC before the first request.
/// static CLOCK: EmbassyClock = EmbassyClock::new();
/// CLOCK.set_unix_time(1_800_000_000);
/// // 26 880 bytes, in a static (here leaked; on a device a `StaticCell`).
/// let buffers: &'static mut TransportBuffers = Box::leak(Box::new(TransportBuffers::new()));
/// // `anchors`: `TrustAnchors::webpki_roots()` (feature `embassy-webpki-roots`), or an
/// // `AnchorStore`'s `anchors()` for your own CA.
/// let transport = EmbassyTransport::new(
///     stack, DnsResolver::new(stack), &CLOCK, anchors, rng, buffers, TransportOptions::default(),
/// );
/// # }
/// ```
///
/// Without trust anchors there is no transport:
///
/// ```compile_fail
/// use auth0_edge::embassy::*;
/// # fn make(stack: embassy_net::Stack<'static>, rng: rand_core::OsRng, buffers: &'static mut TransportBuffers) {
/// let transport = EmbassyTransport::new(
///     stack, DnsResolver::new(stack), EmbassyClock::new(), rng, buffers, TransportOptions::default(),
/// );
/// # }
/// ```
pub struct EmbassyTransport<'a, R, C, G> {
    stack: Stack<'a>,
    resolver: R,
    clock: C,
    anchors: TrustAnchors<'a>,
    options: TransportOptions,
    inner: Mutex<NoopRawMutex, Inner<'a, G>>,
}

impl<R, C, G> core::fmt::Debug for EmbassyTransport<'_, R, C, G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EmbassyTransport")
            .field("anchors", &self.anchors.len())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, R: Resolver, C: Clock, G: CryptoRngCore> EmbassyTransport<'a, R, C, G> {
    /// A transport on `stack`, resolving names with `resolver`, checking certificates against
    /// `anchors` at `clock`'s time, with TLS randomness from `rng`, working in `buffers`.
    pub fn new<const A: usize, const B: usize, const D: usize, const E: usize>(
        stack: Stack<'a>,
        resolver: R,
        clock: C,
        anchors: TrustAnchors<'a>,
        rng: G,
        buffers: &'a mut TransportBuffers<A, B, D, E>,
        options: TransportOptions,
    ) -> Self {
        let TransportBuffers {
            tls_read,
            tls_write,
            tcp_rx,
            tcp_tx,
        } = buffers;
        EmbassyTransport {
            stack,
            resolver,
            clock,
            anchors,
            options,
            inner: Mutex::new(Inner {
                rng,
                tls_read,
                tls_write,
                tcp_rx,
                tcp_tx,
            }),
        }
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    async fn exchange(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        let url = Url::parse(req.url).map_err(|_| TransportError::Connect)?;
        let https = url.is_https();
        let plain_ok = self.options.allow_plain_http_to_loopback && url.is_loopback();
        if !(https || plain_ok) {
            return Err(TransportError::Connect);
        }
        if url.host.starts_with('[') {
            // IPv6 literals: the stack is configured for IPv4.
            return Err(TransportError::Connect);
        }
        let head = RequestHead::new(
            req.method,
            authority(req.url, url.host),
            url.path,
            url.query,
            req.headers,
            req.body.len(),
        )
        .and_then(|h| h.user_agent(USER_AGENT))
        .map_err(|_| TransportError::Io)?;
        let addr = match url.host.parse() {
            Ok(v4) => IpAddress::Ipv4(v4),
            Err(_) => self.resolver.resolve(url.host).await?,
        };
        let mut guard = self.inner.lock().await;
        let Inner {
            rng,
            tls_read,
            tls_write,
            tcp_rx,
            tcp_tx,
        } = &mut *guard;
        let mut socket = TcpSocket::new(self.stack, tcp_rx, tcp_tx);
        socket.set_timeout(Some(self.options.timeout));
        OwnFrame(pin!(socket.connect((addr, url.effective_port()))))
            .await
            .map_err(|_| TransportError::Connect)?;
        let mut parser = ResponseParser::with_limits(req.method == "HEAD", self.options.limits);
        let result = if https {
            let now = self.clock.now();
            // Each large future is pinned where it is built (see `send`).
            pin!(async {
                // The response buffer holds the server's certificates until they are checked;
                // the verifier lives only as long as the handshake. Each step in a frame of its
                // own (see `OwnFrame`): the certificate checks at the end of `connect_into` run
                // above this frame, which holds none of the steps' locals. The connection and
                // the future that closes it are built in slots of this future by frames of
                // their own (`fill`, `fill_pinned`), so this frame holds no copy of either:
                // 4.5 KB less stack under the checks, for 1.1 KB more of this future (the
                // connection's slot, borrowed, keeps its room beside the close future's copy).
                let mut tls = None;
                {
                    let mut verifier = ServerVerifier::new(self.anchors, url.host, now)?;
                    OwnFrame(pin!(tls::connect_into(
                        &mut tls,
                        &mut socket,
                        tls_read,
                        tls_write,
                        buf,
                        rng,
                        &mut verifier
                    )))
                    .await?;
                }
                let result = match tls.as_mut() {
                    Some(conn) => {
                        OwnFrame(pin!(async {
                            send(&mut *conn, &head, req.body).await?;
                            loop {
                                match conn.read_buffered().await {
                                    Ok(mut data) => {
                                        parser.feed(data.pop_all(), buf)?;
                                        if let Some(head) = parser.head() {
                                            return Ok(head);
                                        }
                                    }
                                    Err(embedded_tls::TlsError::ConnectionClosed) => {
                                        return Ok(parser.finish()?);
                                    }
                                    Err(e) => return Err(tls::tls_error(e)),
                                }
                            }
                        }))
                        .await
                    }
                    None => Err(TransportError::Tls),
                };
                // close_notify; the socket closes below either way.
                let mut closing = pin!(None);
                fill_pinned(closing.as_mut(), || {
                    tls.take()
                        .map(|conn| with_timeout(CLOSE_TIMEOUT, conn.close()))
                });
                if let Some(close) = closing.as_mut().as_pin_mut().and_then(|c| c.as_pin_mut()) {
                    let _ = OwnFrame(close).await;
                }
                result
            })
            .await
        } else {
            let scratch = &mut **tls_read;
            OwnFrame(pin!(async {
                send(&mut socket, &head, req.body).await?;
                loop {
                    let n = socket.read(scratch).await.map_err(|_| TransportError::Io)?;
                    if n == 0 {
                        return Ok(parser.finish()?);
                    }
                    parser.feed(&scratch[..n], buf)?;
                    if let Some(head) = parser.head() {
                        return Ok(head);
                    }
                }
            }))
            .await
        };
        // Whatever happened, end the connection: FIN, and RST if it does not go in time.
        socket.close();
        let _ = OwnFrame(pin!(with_timeout(CLOSE_TIMEOUT, socket.flush()))).await;
        socket.abort();
        result
    }
}

/// How long closing may take once the response is read.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// Writes the head and the body, then flushes.
async fn send<W: Write>(
    io: &mut W,
    head: &RequestHead<'_>,
    body: &[u8],
) -> Result<(), TransportError> {
    for piece in head.pieces() {
        io.write_all(piece).await.map_err(|_| TransportError::Io)?;
    }
    io.write_all(body).await.map_err(|_| TransportError::Io)?;
    io.flush().await.map_err(|_| TransportError::Io)
}

/// The URL's authority (`host[:port]`) as written, for `Host`: from the host to the path,
/// query or fragment.
fn authority<'u>(url: &'u str, host: &str) -> &'u str {
    let start = (host.as_ptr() as usize).saturating_sub(url.as_ptr() as usize);
    let rest = url.get(start..).unwrap_or("");
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

impl<R: Resolver, C: Clock, G: CryptoRngCore> Transport for EmbassyTransport<'_, R, C, G> {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        // The exchange is built in place in this future's state and polled through a pinned
        // reference beside the timer: wrapping it by value (`with_timeout`) would build it on
        // the stack and move it, twice, a stack temporary as large as the TLS handshake.
        let mut exchange = pin!(self.exchange(req, buf));
        let mut timer = Timer::after(self.options.timeout);
        poll_fn(|cx| {
            if let Poll::Ready(result) = exchange.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            match Pin::new(&mut timer).poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(TransportError::Timeout)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_is_the_host_and_port_as_written() {
        for (url, want) in [
            ("https://tenant.auth0.com/oauth/token", "tenant.auth0.com"),
            ("https://localhost:8443?x", "localhost:8443"),
            ("https://127.0.0.1:1#f", "127.0.0.1:1"),
            ("https://h", "h"),
        ] {
            let u = Url::parse(url).unwrap();
            assert_eq!(authority(url, u.host), want);
        }
    }
}
