//! [`Builder`]: transport options, store and hooks of an [`Auth0Client`].

use std::prelude::rust_2024::*;

use super::cache::SharedCache;
use super::client::{Auth0Client, Inner};
use super::clock::SystemClock;
use super::hooks::SharedHooks;
use super::pool::Pool;
use super::store::Store;
use super::transport::{HyperTransport, TransportOptions};
use crate::ConfigError;
use crate::config::Config;
use crate::flow::{Auth0, DefaultHooks, Hooks};
use std::sync::Arc;

/// Builds an [`Auth0Client`].
pub struct Builder {
    pub(crate) config: Config<'static>,
    pub(crate) transport: TransportOptions,
    pub(crate) store: Store,
    pub(crate) hooks: Option<SharedHooks>,
}

impl Builder {
    /// Transport options (timeouts, extra trusted roots).
    pub fn transport(mut self, options: TransportOptions) -> Self {
        self.transport = options;
        self
    }

    /// A session store (stateful sessions).
    pub fn store(mut self, store: Store) -> Self {
        self.store = store;
        self
    }

    /// Hooks (`before_session_saved`, `on_callback`, `before_session_rolled`).
    pub fn hooks(mut self, hooks: impl Hooks + Send + Sync + 'static) -> Self {
        self.hooks = Some(SharedHooks(Arc::new(hooks)));
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Auth0Client, ConfigError> {
        let transport =
            HyperTransport::with_options(self.transport).map_err(|_| ConfigError::Invalid {
                option: "transport",
                reason: "the TLS configuration could not be built (check extra_roots_pem)",
            })?;
        let core = Auth0::new(self.config, transport, SystemClock, SharedCache::default())?
            .with_optional_store(match self.store {
                Store::None => None,
                store => Some(store),
            })
            .with_hooks(
                self.hooks
                    .unwrap_or_else(|| SharedHooks(Arc::new(DefaultHooks))),
            );
        Ok(Auth0Client {
            inner: Arc::new(Inner {
                core,
                pool: Pool::default(),
            }),
        })
    }
}
