//! [`Script`]: a transport that asserts each request the flows make against a script, and
//! answers with the scripted reply.

use crate::codec::form::query_pairs;
use crate::http::{OutgoingRequest, ResponseHead};
use crate::runtime::{Transport, TransportError};
use core::cell::{Cell, RefCell};

/// A request the flows sent, as a [`Check`] sees it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Sent<'r> {
    /// `GET` or `POST`.
    pub method: &'r str,
    /// The absolute URL.
    pub url: &'r str,
    /// The request headers.
    pub headers: &'r [(&'r str, &'r str)],
    /// The body as text (empty when it is not UTF-8).
    pub body: &'r str,
}

impl<'r> Sent<'r> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'r str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The raw (still encoded) value of form member `name` of the body.
    pub fn form_value(&self, name: &str) -> Option<&'r str> {
        crate::codec::form::query_get(self.body, name)
    }

    /// The form body as decoded `(name, value)` pairs, in order.
    #[cfg(feature = "alloc")]
    pub fn form(&self) -> alloc::vec::Vec<(alloc::string::String, alloc::string::String)> {
        use alloc::string::String;
        let decode = |s: &str| -> String {
            let bytes: alloc::vec::Vec<u8> = crate::codec::form::Decoded::new(s).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        query_pairs(self.body)
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    /// How many form members the body has.
    pub fn form_len(&self) -> usize {
        query_pairs(self.body).count()
    }
}

/// What a [`Script`] step checks of the request, beyond its method and URL.
#[non_exhaustive]
pub enum Check<'a> {
    /// Nothing more.
    None,
    /// A function that asserts (panics) on what it does not accept.
    Fn(&'a dyn Fn(&Sent<'_>)),
    /// An owned closure (with `alloc`).
    #[cfg(feature = "alloc")]
    Boxed(alloc::boxed::Box<dyn Fn(&Sent<'_>) + 'a>),
}

#[cfg(feature = "alloc")]
impl<'a, F: Fn(&Sent<'_>) + 'a> From<F> for Check<'a> {
    fn from(f: F) -> Self {
        Check::Boxed(alloc::boxed::Box::new(f))
    }
}

#[cfg(not(feature = "alloc"))]
impl<'a, F: Fn(&Sent<'_>)> From<&'a F> for Check<'a> {
    fn from(f: &'a F) -> Self {
        Check::Fn(f)
    }
}

impl Check<'_> {
    fn run(&self, sent: &Sent<'_>) {
        match self {
            Check::None => {}
            Check::Fn(f) => f(sent),
            #[cfg(feature = "alloc")]
            Check::Boxed(f) => f(sent),
        }
    }
}

/// What a [`Script`] step answers.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Reply<'r> {
    /// An HTTP response.
    Answer {
        /// The status code.
        status: u16,
        /// Header lines, `Name: value` separated by CRLF.
        headers: &'r str,
        /// The body.
        body: &'r [u8],
    },
    /// A transport failure (the provider down, hanging, or refusing TLS).
    Fail(TransportError),
}

impl<'r> Reply<'r> {
    /// A JSON response.
    pub fn json(status: u16, body: &'r str) -> Self {
        Reply::Answer {
            status,
            headers: "Content-Type: application/json",
            body: body.as_bytes(),
        }
    }
}

struct Step<'a> {
    method_len: usize,
    url_len: usize,
    headers_len: usize,
    body_len: usize,
    status: Result<u16, TransportError>,
    check: Check<'a>,
}

impl Step<'_> {
    fn data_len(&self) -> usize {
        self.method_len + self.url_len + self.headers_len + self.body_len
    }
}

/// A [`Transport`] that plays a script: each request must be the next one scripted (method
/// and URL, then the step's [`Check`]), and gets the scripted [`Reply`]. An unexpected request
/// or a failed check panics, which fails the test; [`Script::done`] asserts that every
/// scripted request was made.
///
/// Everything a step holds (URL, reply headers and body) is copied into the script's own
/// `BYTES` of storage, so it needs no heap; `STEPS` bounds the steps pending at once. With
/// `alloc`, a check may be any closure.
///
/// ```
/// use auth0_edge::testing::{Reply, Script, block_on};
/// use auth0_edge::{http::OutgoingRequest, runtime::Transport};
/// let script: Script = Script::new();
/// script.expect("GET", "https://t.example.com/x", |s: &auth0_edge::testing::Sent<'_>| {
///     assert_eq!(s.header("accept"), Some("application/json"));
/// }, Reply::json(200, "{}"));
/// let req = OutgoingRequest { method: "GET", url: "https://t.example.com/x", headers: &[("Accept", "application/json")], body: b"" };
/// let mut buf = [0u8; 256];
/// let head = block_on(script.send(&req, &mut buf)).unwrap();
/// assert_eq!((head.status, &buf[head.headers_len..head.headers_len + head.body_len]), (200, &b"{}"[..]));
/// script.done();
/// ```
pub struct Script<'a, const STEPS: usize = 32, const BYTES: usize = 65536> {
    steps: RefCell<heapless::Deque<Step<'a>, STEPS>>,
    data: RefCell<heapless::Vec<u8, BYTES>>,
    sent: Cell<usize>,
}

impl<const STEPS: usize, const BYTES: usize> Default for Script<'_, STEPS, BYTES> {
    fn default() -> Self {
        Script {
            steps: RefCell::new(heapless::Deque::new()),
            data: RefCell::new(heapless::Vec::new()),
            sent: Cell::new(0),
        }
    }
}

impl<'a, const STEPS: usize, const BYTES: usize> Script<'a, STEPS, BYTES> {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scripts the next request: `method url`, checked by `check`, answered by `reply`.
    ///
    /// Panics when the script's capacity (`STEPS`, `BYTES`) is exceeded.
    pub fn expect(&self, method: &str, url: &str, check: impl Into<Check<'a>>, reply: Reply<'_>) {
        let (status, headers, body) = match reply {
            Reply::Answer {
                status,
                headers,
                body,
            } => (Ok(status), headers, body),
            Reply::Fail(e) => (Err(e), "", &[][..]),
        };
        let mut data = self.data.borrow_mut();
        for part in [method.as_bytes(), url.as_bytes(), headers.as_bytes(), body] {
            assert!(
                data.extend_from_slice(part).is_ok(),
                "testing::Script: the script holds more than {BYTES} bytes; use a larger BYTES"
            );
        }
        let step = Step {
            method_len: method.len(),
            url_len: url.len(),
            headers_len: headers.len(),
            body_len: body.len(),
            status,
            check: check.into(),
        };
        assert!(
            self.steps.borrow_mut().push_back(step).is_ok(),
            "testing::Script: more than {STEPS} steps pending; use a larger STEPS"
        );
    }

    /// Asserts that every scripted request was made.
    pub fn done(&self) {
        let pending = self.steps.borrow().len();
        assert!(pending == 0, "{pending} scripted request(s) not made");
    }

    /// How many requests were sent so far.
    pub fn count(&self) -> usize {
        self.sent.get()
    }

    /// How many scripted requests are still to come.
    pub fn pending(&self) -> usize {
        self.steps.borrow().len()
    }
}

impl<const STEPS: usize, const BYTES: usize> Transport for Script<'_, STEPS, BYTES> {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        self.sent.set(self.sent.get() + 1);
        let Some(step) = self.steps.borrow_mut().pop_front() else {
            panic!("unexpected request {} {}", req.method, req.url);
        };
        {
            let data = self.data.borrow();
            let method = &data[..step.method_len];
            let url = &data[step.method_len..step.method_len + step.url_len];
            assert_eq!(
                (req.method.as_bytes(), req.url.as_bytes()),
                (method, url),
                "request order: got {} {}, expected {} {}",
                req.method,
                req.url,
                core::str::from_utf8(method).unwrap_or("?"),
                core::str::from_utf8(url).unwrap_or("?"),
            );
        }
        step.check.run(&Sent {
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: core::str::from_utf8(req.body).unwrap_or(""),
        });
        let mut data = self.data.borrow_mut();
        let reply = &data[step.method_len + step.url_len..step.data_len()];
        let out = match step.status {
            Err(e) => Err(e),
            Ok(status) => match buf.get_mut(..reply.len()) {
                None => Err(TransportError::ResponseTooLarge),
                Some(dst) => {
                    dst.copy_from_slice(reply);
                    Ok(ResponseHead {
                        status,
                        headers_len: step.headers_len,
                        body_len: step.body_len,
                    })
                }
            },
        };
        // The step's bytes are the front of the storage: drop them.
        let n = step.data_len();
        let len = data.len();
        data.copy_within(n..len, 0);
        data.truncate(len - n);
        out
    }
}
