//! [`Builder`]: transport options, session store, hooks and refresh coordination of an
//! [`Auth0Client`].

use std::prelude::rust_2024::*;

use super::cache::SharedCache;
use super::client::{Auth0Client, Inner};
use super::hooks::{DynHooks, Hooks};
use super::pool::Pool;
use super::refresh::{Coordinator, MemoOptions, RedisCoordination};
use super::store::{DynStore, Store};
use super::transport::{HyperTransport, TransportOptions};
use crate::ConfigError;
use crate::config::OwnedConfig;
use crate::flow::{DefaultHooks, Keys};
use std::time::Duration;

/// Builds an [`Auth0Client`] ([`Auth0Client::builder`]).
pub struct Builder {
    config: OwnedConfig,
    transport: TransportOptions,
    store: Option<Box<dyn DynStore>>,
    hooks: Box<dyn DynHooks>,
    memo: MemoOptions,
    redis: Option<RedisCoordination>,
    opened_sessions: usize,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("stateful", &self.store.is_some())
            .field("memo", &self.memo)
            .finish_non_exhaustive()
    }
}

impl Builder {
    pub(crate) fn new(config: OwnedConfig) -> Self {
        Builder {
            config,
            transport: TransportOptions::default(),
            store: None,
            hooks: Box::new(DefaultHooks),
            memo: MemoOptions::default(),
            redis: None,
            opened_sessions: super::DEFAULT_OPENED_SESSIONS,
        }
    }

    /// Transport options (timeouts, extra trusted roots).
    pub fn transport(mut self, options: TransportOptions) -> Self {
        self.transport = options;
        self
    }

    /// A session store (stateful sessions: the cookie holds a sealed record id): a
    /// [`super::MemoryStore`], a [`super::RedisStore`] (which also coordinates refreshes across
    /// servers), or your own [`Store`].
    pub fn store(mut self, store: impl Store) -> Self {
        #[cfg(feature = "redis")]
        if self.redis.is_none()
            && let Some(redis) = (&store as &dyn std::any::Any).downcast_ref::<super::RedisStore>()
        {
            self.redis = Some(RedisCoordination::through(redis));
        }
        self.store = Some(Box::new(store));
        self
    }

    /// Hooks (`before_session_saved`, `on_callback`, `before_session_rolled`).
    pub fn hooks(mut self, hooks: impl Hooks) -> Self {
        self.hooks = Box::new(hooks);
        self
    }

    /// Coordinates refreshes with other servers through Redis (feature `redis`) (cookie sessions, or a store
    /// other than [`super::RedisStore`]): one refresh per refresh token across all of them.
    #[cfg(feature = "redis")]
    pub fn coordinate_refreshes(mut self, redis: RedisCoordination) -> Self {
        self.redis = Some(redis);
        self
    }

    /// How long a refreshed session answers requests that still carry the old refresh token
    /// (default [`super::DEFAULT_MEMO_WINDOW`], a minute), and how many the memo keeps
    /// (default [`super::DEFAULT_MEMO_ENTRIES`]).
    pub fn refresh_memo(mut self, window: Duration, max_entries: usize) -> Self {
        self.memo = MemoOptions {
            window,
            max_entries: max_entries.max(1),
        };
        self
    }

    /// How many cookie sessions the client keeps opened (default
    /// [`super::DEFAULT_OPENED_SESSIONS`]; 0 keeps none). A browser sends the same cookie on
    /// every request until the session rolls, and a request whose cookie was opened before is
    /// answered with what opening it gave, without decrypting and parsing it again: the checks
    /// that depend on the time (the cookie's `exp`, the IPSIE ceiling, whether a roll is due) are
    /// made again, and a cookie is matched by all its bytes. Only cookies that opened are kept
    /// (a tampered one never matches); their sessions (tokens included) stay in memory until
    /// newer ones push them out, as a [`super::MemoryStore`]'s do. Cookie sessions only.
    pub fn opened_sessions(mut self, capacity: usize) -> Self {
        self.opened_sessions = capacity;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Auth0Client, ConfigError> {
        let keys = Keys::derive(&self.config.as_config())?;
        let transport =
            HyperTransport::with_options(self.transport).map_err(|_| ConfigError::Invalid {
                option: "transport",
                reason: "the TLS configuration could not be built (check extra_roots_pem)",
            })?;
        let session_cookie =
            memchr::memmem::Finder::new(self.config.as_config().session.cookie_name).into_owned();
        // A store's record is the authority for a stateful session: nothing is kept here.
        let opened = if self.store.is_some() {
            0
        } else {
            self.opened_sessions
        };
        let hot = super::client::Hot::of(&self.config.as_config());
        Ok(Auth0Client::from_inner(Inner {
            session_cookie,
            hot,
            config: self.config,
            keys,
            transport,
            cache: SharedCache::default(),
            store: self.store,
            replay: std::sync::Mutex::new(crate::oauth::logout_token::ReplayCache::new()),
            hooks: self.hooks,
            coordinator: Coordinator::new(self.memo, self.redis),
            pool: Pool::default(),
            opened: super::opened::OpenedSessions::new(opened),
        }))
    }
}
