//! A host link (feature `embassy-host`, std): runs the embassy runtime on a Linux host, as
//! smoltcp ships its loopback and tap devices, so the transport is tested and tried out on
//! the real stack, TLS and timers without a board and without root.
//!
//! ```text
//!  device stack 127.0.0.2/8 ──┐ embassy-net-driver-channel ┌── bridge stack 127.0.0.1/8 ──▶ host TCP 127.0.0.1:PORT
//!   (the code under test)     └────── (IP packets) ────────┘   DNS: localhost → 127.0.0.1
//! ```
//!
//! [`run`] starts embassy-executor's std executor in the calling thread, with embassy-time's
//! std driver, and two embassy-net stacks joined by a pair of driver channels that copy IP
//! packets across. The *device* stack (127.0.0.2) is handed to your code. The *bridge* stack
//! (127.0.0.1 on that virtual network, reached by no real packet) accepts TCP connections on
//! the ports you forward and relays each one to the host's real `127.0.0.1:PORT`, through two
//! host threads per connection; and it answers DNS on port 53: `localhost` is 127.0.0.1, any
//! other name does not exist.
//!
//! So the device connects by `127.0.0.1` (the literal is its own address on the link, and a
//! certificate is checked against the IP SAN `127.0.0.1`) and by `localhost` (resolved by
//! [`DnsResolver`](super::DnsResolver) through the link's DNS answer, checked against the DNS
//! SAN `localhost`), exactly as on a device with a DNS server.
//!
//! ```no_run
//! use auth0_edge::embassy::{host, DnsResolver, Resolver};
//! let port = 8443; // a server the test started on the host's 127.0.0.1
//! let addr = host::run(&[port], |stack| async move {
//!     DnsResolver::new(stack).resolve("localhost").await
//! })
//! .unwrap();
//! ```

use std::boxed::Box;
use std::cell::RefCell;
use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::task::{Context, Poll};
use std::time::Duration;
use std::vec::Vec;

use embassy_executor::Executor;
use embassy_executor::raw::TaskStorage;
use embassy_futures::select::{Either, select};
use embassy_net::driver::HardwareAddress;
use embassy_net::tcp::TcpSocket;
use embassy_net::udp::{PacketMetadata, UdpSocket};
use embassy_net::{Config, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as ch;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::Channel;
use embedded_io_async::Write as _;

/// The device's address on the link.
pub const DEVICE_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// The bridge's address on the link: where the device reaches the host's `127.0.0.1`.
pub const BRIDGE_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// The most ports one link forwards.
pub const MAX_PORTS: usize = 7;

const MTU: usize = 1500;
/// Listening sockets per forwarded port: one can be closing while the next connection comes.
const LISTENERS: usize = 2;
/// The bridge's sockets: the listeners, the DNS answer, embassy-net's own DNS client.
const BRIDGE_SOCKETS: usize = MAX_PORTS * LISTENERS + 2;

/// Why a host link could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostLinkError {
    /// More ports than [`MAX_PORTS`].
    TooManyPorts {
        /// How many were asked for.
        ports: usize,
    },
}

impl core::fmt::Display for HostLinkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HostLinkError::TooManyPorts { ports } => write!(
                f,
                "a host link forwards at most {MAX_PORTS} ports, not {ports}: use a second link"
            ),
        }
    }
}

impl core::error::Error for HostLinkError {}

/// Runs `main` with the device's stack on a new embassy std executor in this thread, with the
/// link up and `ports` of the host's 127.0.0.1 forwarded (see the [module docs](self)), and
/// returns its output once it completes. The link (stacks, relays, host threads) ends with it.
pub fn run<F, Fut>(ports: &[u16], main: F) -> Result<Fut::Output, HostLinkError>
where
    F: FnOnce(Stack<'static>) -> Fut,
    Fut: Future + 'static,
    Fut::Output: 'static,
{
    if ports.len() > MAX_PORTS {
        return Err(HostLinkError::TooManyPorts { ports: ports.len() });
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);

    let (device_runner, device_driver) = ch::new(
        Box::leak(Box::new(ch::State::<MTU, 8, 8>::new())),
        HardwareAddress::Ip,
    );
    let (bridge_runner, bridge_driver) = ch::new(
        Box::leak(Box::new(ch::State::<MTU, 8, 8>::new())),
        HardwareAddress::Ip,
    );
    let config = |address, dns: &[Ipv4Addr]| {
        Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(address, 8),
            gateway: None,
            dns_servers: dns.iter().copied().collect(),
        })
    };
    let (device, mut device_net) = embassy_net::new(
        device_driver,
        config(DEVICE_ADDRESS, &[BRIDGE_ADDRESS]),
        Box::leak(Box::new(StackResources::<4>::new())),
        seed,
    );
    let (bridge, mut bridge_net) = embassy_net::new(
        bridge_driver,
        config(BRIDGE_ADDRESS, &[]),
        Box::leak(Box::new(StackResources::<BRIDGE_SOCKETS>::new())),
        seed ^ 0x5eed,
    );

    let (device_state, device_rx, device_tx) = device_runner.split();
    let (bridge_state, bridge_rx, bridge_tx) = bridge_runner.split();
    device_state.set_link_state(ch::driver::LinkState::Up);
    bridge_state.set_link_state(ch::driver::LinkState::Up);

    let mut background: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
    background.push(Box::pin(async move { match device_net.run().await {} }));
    background.push(Box::pin(async move { match bridge_net.run().await {} }));
    background.push(Box::pin(pump(device_tx, bridge_rx)));
    background.push(Box::pin(pump(bridge_tx, device_rx)));
    background.push(Box::pin(answer_dns(bridge)));
    for &port in ports {
        for _ in 0..LISTENERS {
            background.push(Box::pin(forward(bridge, port)));
        }
    }

    let output = Rc::new(RefCell::new(None));
    let slot = output.clone();
    let main = main(device);
    let task = async move {
        let done = RunUntil {
            main: Box::pin(main),
            background,
        }
        .await;
        *slot.borrow_mut() = Some(done);
    };
    let storage: &'static TaskStorage<_> = Box::leak(Box::new(TaskStorage::new()));
    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
    let done = output.clone();
    executor.run_until(
        |spawner| match storage.spawn(|| task) {
            Ok(token) => spawner.spawn(token),
            // A fresh storage is never busy.
            Err(_) => unreachable!("a new task storage is free"),
        },
        move || done.borrow().is_some(),
    );
    let out = output.borrow_mut().take();
    Ok(out.expect("run_until returns once the task stored its output"))
}

/// Polls `main`, and the link's futures while it runs; ends with `main`.
struct RunUntil<M: Future> {
    main: Pin<Box<M>>,
    background: Vec<Pin<Box<dyn Future<Output = ()>>>>,
}

impl<M: Future> Future for RunUntil<M> {
    type Output = M::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M::Output> {
        let this = self.get_mut();
        // The link first, so what it delivers is there for `main`.
        this.background
            .retain_mut(|f| f.as_mut().poll(cx).is_pending());
        let out = this.main.as_mut().poll(cx);
        if out.is_pending() {
            // Packets `main` queued go out in this round.
            this.background
                .retain_mut(|f| f.as_mut().poll(cx).is_pending());
        }
        out
    }
}

/// Copies the packets one side sends into the other side's receive queue.
async fn pump(mut from: ch::TxRunner<'static, MTU>, mut to: ch::RxRunner<'static, MTU>) {
    loop {
        let packet = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let n = packet.len().min(slot.len());
        slot[..n].copy_from_slice(&packet[..n]);
        to.rx_done(n);
        from.tx_done();
    }
}

/// Answers DNS queries on the bridge: `localhost` (any case) is 127.0.0.1; other names do
/// not exist (RFC 6761 §6.3 makes `localhost` loopback; nothing else is resolvable here).
async fn answer_dns(stack: Stack<'static>) {
    let rx_meta = Box::leak(Box::new([PacketMetadata::EMPTY; 4]));
    let tx_meta = Box::leak(Box::new([PacketMetadata::EMPTY; 4]));
    let rx = Box::leak(Box::new([0u8; 1024]));
    let tx = Box::leak(Box::new([0u8; 1024]));
    let mut socket = UdpSocket::new(stack, rx_meta, rx, tx_meta, tx);
    if socket.bind(53).is_err() {
        return;
    }
    let mut query = [0u8; 512];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut query).await else {
            continue;
        };
        let mut reply = [0u8; 512];
        if let Some(len) = dns_reply(&query[..n], &mut reply) {
            let _ = socket.send_to(&reply[..len], from).await;
        }
    }
}

/// The answer to a one-question DNS query (RFC 1035 §4.1), or `None` for a message that is
/// not one.
fn dns_reply(query: &[u8], out: &mut [u8; 512]) -> Option<usize> {
    if query.len() < 12 || query[2] & 0x80 != 0 || query[4..6] != [0, 1] {
        return None;
    }
    // The question: labels, then QTYPE and QCLASS.
    let mut i = 12;
    let mut name = [0u8; 255];
    let mut name_len = 0;
    loop {
        let len = usize::from(*query.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 || name_len + len + 1 > name.len() {
            return None;
        }
        if name_len > 0 {
            name[name_len] = b'.';
            name_len += 1;
        }
        name[name_len..name_len + len].copy_from_slice(query.get(i..i + len)?);
        name_len += len;
        i += len;
    }
    let qtype = query.get(i..i + 2)?;
    let qclass = query.get(i + 2..i + 4)?;
    let question_end = i + 4;
    let localhost = name[..name_len].eq_ignore_ascii_case(b"localhost");
    let answer_a = localhost && qtype == [0, 1] && qclass == [0, 1];
    out[..question_end].copy_from_slice(&query[..question_end]);
    // QR, the query's opcode and RD, RA; NXDOMAIN for other names.
    out[2] = 0x80 | (query[2] & 0x79);
    out[3] = 0x80 | if localhost { 0 } else { 3 };
    out[4..12].copy_from_slice(&[0, 1, 0, u8::from(answer_a), 0, 0, 0, 0]);
    let mut len = question_end;
    if answer_a {
        // A pointer to the question's name, A, IN, TTL 60, 4 bytes: 127.0.0.1.
        let answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1];
        out.get_mut(len..len + answer.len())?
            .copy_from_slice(&answer);
        len += answer.len();
    }
    Some(len)
}

/// What a host thread hands to the bridge.
enum FromHost {
    Data(Vec<u8>),
    End,
}

/// Accepts connections to `port` on the bridge and relays each to the host's 127.0.0.1:port.
async fn forward(stack: Stack<'static>, port: u16) {
    let rx = Box::leak(Box::new([0u8; 8192]));
    let tx = Box::leak(Box::new([0u8; 8192]));
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx[..], &mut tx[..]);
        socket.set_timeout(Some(embassy_time::Duration::from_secs(30)));
        if socket.accept(port).await.is_ok() {
            relay(&mut socket, port).await;
        }
        socket.close();
        let _ =
            embassy_time::with_timeout(embassy_time::Duration::from_secs(1), socket.flush()).await;
        socket.abort();
    }
}

/// Sets its flag when the bridge side of a relay ends, so the host threads stop.
struct Ended(Arc<AtomicBool>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

async fn relay(socket: &mut TcpSocket<'_>, port: u16) {
    let Ok(stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let ended = Ended(Arc::new(AtomicBool::new(false)));
    let from_host: Arc<Channel<CriticalSectionRawMutex, FromHost, 8>> = Arc::new(Channel::new());
    let (to_host, host_rx) = mpsc::channel::<Vec<u8>>();
    spawn_reader(reader, from_host.clone(), ended.0.clone());
    std::thread::spawn(move || {
        let mut stream = stream;
        for chunk in host_rx {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    });
    let mut to_host = Some(to_host);
    let mut buf = [0u8; 4096];
    loop {
        let event = if to_host.is_some() {
            select(socket.read(&mut buf), from_host.receive()).await
        } else {
            Either::Second(from_host.receive().await)
        };
        match event {
            Either::First(Ok(n)) if n > 0 => {
                if let Some(tx) = &to_host
                    && tx.send(buf[..n].to_vec()).is_err()
                {
                    to_host = None;
                }
            }
            // The device closed its side (or broke): the host sees the end of its stream.
            Either::First(_) => to_host = None,
            Either::Second(FromHost::Data(data)) => {
                if socket.write_all(&data).await.is_err() {
                    break;
                }
            }
            Either::Second(FromHost::End) => break,
        }
    }
    let _ = socket.flush().await;
    drop(ended);
}

/// A host thread reading the host's stream into `to_bridge` until it ends or the bridge side
/// has `ended`.
fn spawn_reader(
    mut stream: TcpStream,
    to_bridge: Arc<Channel<CriticalSectionRawMutex, FromHost, 8>>,
    ended: Arc<AtomicBool>,
) {
    std::thread::spawn(move || {
        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
        let mut buf = [0u8; 4096];
        loop {
            let item = match stream.read(&mut buf) {
                Ok(0) => FromHost::End,
                Ok(n) => FromHost::Data(buf[..n].to_vec()),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if ended.load(Ordering::Acquire) {
                        return;
                    }
                    continue;
                }
                Err(_) => FromHost::End,
            };
            let last = matches!(item, FromHost::End);
            let mut item = item;
            loop {
                match to_bridge.try_send(item) {
                    Ok(()) => break,
                    Err(embassy_sync::channel::TrySendError::Full(back)) => {
                        if ended.load(Ordering::Acquire) {
                            return;
                        }
                        item = back;
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            }
            if last {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut q = std::vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend(label.as_bytes());
        }
        q.push(0);
        q.extend(qtype.to_be_bytes());
        q.extend([0, 1]);
        q
    }

    #[test]
    fn dns_answers_localhost_only() {
        let mut out = [0u8; 512];
        let q = query("LocalHost", 1);
        let n = dns_reply(&q, &mut out).unwrap();
        assert_eq!(&out[..2], &[0x12, 0x34]);
        assert_eq!(out[3] & 0x0f, 0, "NOERROR");
        assert_eq!(&out[6..8], &[0, 1], "one answer");
        assert_eq!(&out[n - 4..n], &[127, 0, 0, 1]);
        let q = query("example.com", 1);
        let n = dns_reply(&q, &mut out).unwrap();
        assert_eq!((out[3] & 0x0f, &out[6..8], n), (3, &[0u8, 0][..], q.len()));
        let q = query("localhost", 28);
        dns_reply(&q, &mut out).unwrap();
        assert_eq!((out[3] & 0x0f, &out[6..8]), (0, &[0u8, 0][..]), "no AAAA");
        // Not a query, truncated, a label running past the end: no answer, no panic.
        assert!(dns_reply(&q[..11], &mut out).is_none());
        assert!(dns_reply(&q[..q.len() - 1], &mut out).is_none());
        let mut bad = q.clone();
        bad[12] = 60;
        assert!(dns_reply(&bad, &mut out).is_none());
        let mut answer = q;
        answer[2] |= 0x80;
        assert!(dns_reply(&answer, &mut out).is_none());
    }

    #[test]
    fn too_many_ports_is_an_error() {
        assert_eq!(
            run(&[1; MAX_PORTS + 1], |_| async {}).err(),
            Some(HostLinkError::TooManyPorts {
                ports: MAX_PORTS + 1
            })
        );
    }
}
