//! Routing: which SDK route a request is for (under the application's base path), and
//! [`Auth0::handle`], the SDK's middleware.

use super::*;
use core::borrow::Borrow;

/// The SDK routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// `GET /auth/login`.
    Login,
    /// `GET /auth/callback`.
    Callback,
    /// `GET /auth/logout`.
    Logout,
    /// `GET /auth/profile`.
    Profile,
    /// `GET /auth/access-token`.
    AccessToken,
    /// `POST /auth/backchannel-logout` (form body: `logout_token`).
    BackchannelLogout,
}

/// The result of [`Auth0::handle`]: answer the request, or pass it on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled<'b> {
    /// One of the auth routes: send this response.
    Response(Response<'b>),
    /// Any other path: call the application, then add these headers (the rolling session's
    /// `Set-Cookie` values and cache headers; none when there is nothing to roll) to its
    /// response.
    Next(Response<'b>),
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'c, T, C, P, S, H, K>
{
    /// The request path with the application base path removed, and without a trailing
    /// slash; `None` when the path is outside the base path.
    pub(super) fn route_path<'r>(&self, path: &'r str) -> Option<&'r str> {
        let base_path = self.base_path;
        let rest = path.strip_prefix(base_path)?;
        let rest = if rest.len() > 1 {
            rest.trim_end_matches('/')
        } else {
            rest
        };
        if rest.is_empty() {
            Some("/")
        } else {
            rest.starts_with('/').then_some(rest)
        }
    }

    /// Routes a request: the auth routes get their response; any other path gets the rolling
    /// session's headers to add to the application's response (the middleware of the SDK).
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::{flow::Handled, http::Request};
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request::get("/auth/login?returnTo=%2Fdashboard", &headers);
    /// match auth0.handle(&req, &mut rand_core::OsRng, &mut buf).await? {
    ///     Handled::Response(res) => { /* send res.status, res.headers(), res.body */ }
    ///     Handled::Next(extra) => { /* run the app, then append extra.headers() */ }
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn handle<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Handled<'b>, AuthError> {
        let handled = match self.route(req) {
            Some(Route::Login) => self.login(req, rng, buf).await.map(Handled::Response),
            Some(Route::Callback) => self.callback(req, rng, buf).await.map(Handled::Response),
            Some(Route::Logout) => self.logout(req, rng, buf).await.map(Handled::Response),
            Some(Route::Profile) => self.profile(req, buf).await.map(Handled::Response),
            Some(Route::AccessToken) => self
                .access_token_route(req, rng, buf)
                .await
                .map(Handled::Response),
            Some(Route::BackchannelLogout) => self
                .backchannel_logout(req, buf)
                .await
                .map(Handled::Response),
            None => self
                .touch_in(req, rng, buf)
                .await
                .map(|t| Handled::Next(t.headers)),
        };
        match &handled {
            Err(e) => super::log_error(e),
            Ok(Handled::Response(r) | Handled::Next(r)) => {
                if let Some(warning) = r.warning {
                    event!(warn, warning, "auth0-edge: a failure was worked around");
                    let _ = warning;
                }
            }
        }
        handled
    }

    /// The redirect of a page that needs a session (the SDK's `withPageAuthRequired`): a 307
    /// to the login route with `returnTo` set to the page's path and query.
    pub fn page_login_redirect<'b>(
        &self,
        path_and_query: &str,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, Error> {
        let mut res = ResponseBuilder::new(buf, 307);
        let w = res.begin_header("Location")?;
        w.push_str(self.base_path)?;
        w.push_str(self.config.routes.login)?;
        w.push_str("?returnTo=")?;
        crate::codec::form::push_form(w, path_and_query)?;
        res.end_header()?;
        res.finish()
    }

    /// Which SDK route `req` is for, if any (`GET`/`HEAD` on a configured path under the
    /// application's base path, or `POST` on the back-channel logout path; a trailing slash is
    /// ignored).
    pub fn route(&self, req: &Request<'_>) -> Option<Route> {
        let r = &self.config.routes;
        let path = self.route_path(req.path)?;
        if req.method.eq_ignore_ascii_case("POST") {
            return (path == r.backchannel_logout).then_some(Route::BackchannelLogout);
        }
        let get = req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD");
        if !get {
            return None;
        }
        if path == r.login {
            Some(Route::Login)
        } else if path == r.callback {
            Some(Route::Callback)
        } else if path == r.logout {
            Some(Route::Logout)
        } else if path == r.profile {
            Some(Route::Profile)
        } else if path == r.access_token && self.config.enable_access_token_endpoint {
            Some(Route::AccessToken)
        } else {
            None
        }
    }
}
