// A test OpenID Provider (oidc-provider) for the end-to-end tests.
//
//   PORT=4000 ALG=RS256 \
//   REDIRECT_URIS=http://127.0.0.1:3000/auth/callback \
//   POST_LOGOUT_REDIRECT_URIS=http://127.0.0.1:3000 \
//   node provider.mjs
//
// Listens on 127.0.0.1:PORT, issuer "http://127.0.0.1:PORT" (no trailing slash; https and another
// host name with the TLS_* and ISSUER_HOST variables), and prints one line "READY <issuer>" to
// stdout once it accepts connections. Everything else (oidc-provider's warnings, request errors)
// goes to stderr. Exits 1 when it cannot start. See README.md for the flows it serves, the /test/
// control endpoints, and how to drive everything without a browser.
//
// Environment:
//   PORT                       required, 1..65535
//   ALG                        RS256 (default) or ES256: the ID token (and logout token) signing algorithm
//   REDIRECT_URIS              comma-separated redirect_uris of both clients
//   POST_LOGOUT_REDIRECT_URIS  comma-separated post_logout_redirect_uris of both clients (may be empty)
//   TLS_CERT, TLS_KEY          PEM files; both set: serve https, issuer https://ISSUER_HOST:PORT
//   ISSUER_HOST                the issuer's host name: default localhost with TLS, 127.0.0.1 without
//   ACCESS_TOKEN_TTL           access token lifetime in seconds (default 60)
//   CLOCK_TOLERANCE            seconds an expired token, code or assertion is still accepted (default 15)
//   BACKCHANNEL_LOGOUT_URI     http(s) URL: enables back-channel logout, registered on both clients
//   DPOP                       1: DPoP nonces required at the token and userinfo endpoints (default off)
//   CIBA_INTERVAL              seconds: the "interval" of CIBA responses (default 1)
//   CIBA_AUTO                  approve or deny: decide every CIBA request automatically (default: wait
//                              for POST /test/ciba/approve or /test/ciba/deny)
//   CIBA_AUTO_DELAY_MS         how long after the request CIBA_AUTO decides (default 1500)
//   CONNECTION_TOKEN_TTL       expires_in of token-exchange connection tokens, seconds (default 3600)

import {
  createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

import Provider, { errors } from 'oidc-provider';

// stdout carries the READY line only: oidc-provider prints its notices with console.info.
console.info = (...args) => console.error(...args);

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
}

function list(name) {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

// A whole number of at least `min` from the environment, `fallback` when unset or empty.
function integer(name, fallback, min) {
  const raw = (process.env[name] ?? '').trim();
  if (raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    fail(`${name} must be a whole number of at least ${min}, got ${JSON.stringify(process.env[name])}`);
  }
  return value;
}

function oneOf(name, allowed, fallback) {
  const value = process.env[name] || fallback;
  if (!allowed.includes(value)) {
    fail(`${name} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(process.env[name])}`);
  }
  return value;
}

// A failed /test/ request: answered with `status` and {"error":..., "error_description":...}.
class TestRequestError extends Error {
  constructor(status, error, description) {
    super(description);
    Object.assign(this, { status, error });
  }
}

function readPem(name) {
  try {
    return readFileSync(process.env[name]);
  } catch (err) {
    return fail(`${name}: cannot read ${JSON.stringify(process.env[name])}: ${err.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Environment

const port = Number.parseInt(process.env.PORT ?? '', 10);
if (!Number.isInteger(port) || port < 1 || port > 65535 || String(port) !== (process.env.PORT ?? '').trim()) {
  fail(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
}
const alg = process.env.ALG || 'RS256';
if (alg !== 'RS256' && alg !== 'ES256') {
  fail(`ALG must be RS256 or ES256, got ${JSON.stringify(alg)}`);
}
const redirectUris = list('REDIRECT_URIS');
if (redirectUris.length === 0) {
  fail('REDIRECT_URIS must list at least one redirect URI (comma-separated)');
}
const postLogoutRedirectUris = list('POST_LOGOUT_REDIRECT_URIS');
for (const uri of [...redirectUris, ...postLogoutRedirectUris]) {
  try {
    new URL(uri); // eslint-disable-line no-new
  } catch {
    fail(`not an absolute URL: ${JSON.stringify(uri)}`);
  }
}

if (Boolean(process.env.TLS_CERT) !== Boolean(process.env.TLS_KEY)) {
  fail('TLS_CERT and TLS_KEY must be set together');
}
const tls = process.env.TLS_CERT ? { cert: readPem('TLS_CERT'), key: readPem('TLS_KEY') } : undefined;
const issuerHost = process.env.ISSUER_HOST || (tls ? 'localhost' : '127.0.0.1');
if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(issuerHost)) {
  fail(`ISSUER_HOST must be a host name or IPv4 address, got ${JSON.stringify(issuerHost)}`);
}
const issuer = `${tls ? 'https' : 'http'}://${issuerHost}:${port}`;

const accessTokenTtl = integer('ACCESS_TOKEN_TTL', 60, 1);
const clockTolerance = integer('CLOCK_TOLERANCE', 15, 0);
const connectionTokenTtl = integer('CONNECTION_TOKEN_TTL', 3600, 1);
const dpopNonces = oneOf('DPOP', ['0', '1'], '0') === '1';
const cibaInterval = integer('CIBA_INTERVAL', 1, 0);
const cibaAuto = oneOf('CIBA_AUTO', ['', 'approve', 'deny'], '');
const cibaAutoDelayMs = integer('CIBA_AUTO_DELAY_MS', 1500, 0);

const backchannelLogoutUri = process.env.BACKCHANNEL_LOGOUT_URI || undefined;
if (backchannelLogoutUri !== undefined && !/^https?:$/.test(URL.parse(backchannelLogoutUri)?.protocol)) {
  fail(`BACKCHANNEL_LOGOUT_URI must be an http(s) URL, got ${JSON.stringify(backchannelLogoutUri)}`);
}

// ---------------------------------------------------------------------------------------------
// Keys, clients, accounts

// Fresh signing keys on every start: an RSA 2048 key (RS256) and a P-256 key (ES256), both
// published in the JWKS with a kid. The client's id_token_signed_response_alg picks which one
// signs the ID tokens; /test/logout-token signs with the same keys.
function generateSigningKey(keyAlg, kid) {
  const { privateKey } = keyAlg === 'RS256'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { alg: keyAlg, kid, privateKey };
}
const signingKeys = [generateSigningKey('RS256', 'test-rsa-1'), generateSigningKey('ES256', 'test-ec-1')];

const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';
const CONNECTION_GRANT = 'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token';
const REFRESH_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:refresh_token';
const CONNECTION_TOKEN_TYPE = 'http://auth0.com/oauth/token-type/federated-connection-access-token';
const CONNECTION_TOKEN_SCOPE = 'read:calendar';

const clientDefaults = {
  grant_types: ['authorization_code', 'refresh_token', CIBA_GRANT, CONNECTION_GRANT],
  response_types: ['code'],
  redirect_uris: redirectUris,
  post_logout_redirect_uris: postLogoutRedirectUris,
  id_token_signed_response_alg: alg,
  backchannel_token_delivery_mode: 'poll',
  ...(backchannelLogoutUri && {
    backchannel_logout_uri: backchannelLogoutUri,
    backchannel_logout_session_required: true,
  }),
};

// Any login name is an account; any password is accepted (devInteractions ignores it).
function account(sub) {
  return {
    accountId: sub,
    async claims() {
      return {
        sub,
        name: `Test User ${sub}`,
        nickname: sub,
        email: `${sub}@example.com`,
        email_verified: true,
      };
    },
  };
}

// What happened at the token endpoint and in back-channel logout since start: GET /test/stats.
const stats = {
  code_grants: 0,
  refresh_grants: 0,
  refresh_grants_failed: 0,
  ciba_grants: 0,
  exchange_grants: 0,
  token_requests: 0,
  backchannel_logouts_sent: 0,
  backchannel_logout_responses: [],
};

// ---------------------------------------------------------------------------------------------
// CIBA: login_hint, the pending requests and their approval / denial

// login_hint is either {"format":"iss_sub","iss":"<issuer>","sub":"<sub>"} (as JSON text, what
// the Next.js SDK sends) or a plain sub. Every sub is a user, except those starting "unknown".
function cibaSub(loginHint) {
  let hint;
  try {
    hint = JSON.parse(loginHint);
  } catch {
    hint = undefined;
  }
  let sub = loginHint;
  if (typeof hint === 'object' && hint !== null) {
    if (hint.format !== 'iss_sub' || typeof hint.sub !== 'string' || !hint.sub) {
      throw new errors.InvalidRequest('login_hint must be a sub or {"format":"iss_sub","iss":"<issuer>","sub":"<sub>"}');
    }
    if (hint.iss !== issuer && hint.iss !== `${issuer}/`) {
      throw new errors.UnknownUserId(`login_hint iss ${JSON.stringify(hint.iss)} is not ${issuer}`);
    }
    sub = hint.sub;
  }
  if (sub.startsWith('unknown')) {
    throw new errors.UnknownUserId(`no such user: ${sub}`);
  }
  return sub;
}

// Every backchannel authentication request, oldest first: GET /test/ciba/requests.
const cibaRequests = [];

function cibaEntry({ sub, auth_req_id: authReqId }) {
  const now = Date.now();
  const pending = cibaRequests.filter((r) => r.status === 'pending' && r.expires_at > now);
  if (typeof authReqId === 'string') {
    return pending.find((r) => r.auth_req_id === authReqId);
  }
  if (typeof sub === 'string') {
    return pending.findLast((r) => r.sub === sub);
  }
  throw new TestRequestError(400, 'invalid_request', 'the body must be {"sub":"..."} or {"auth_req_id":"..."}');
}

// Approve: a grant for the requested scope, so the next poll gets tokens (an ID token for the
// sub). Deny: the next poll gets access_denied.
async function decideCiba(entry, approve) {
  const request = await provider.BackchannelAuthenticationRequest.find(entry.auth_req_id);
  if (!request) {
    throw new Error(`CIBA request ${entry.auth_req_id} expired or already used`);
  }
  if (approve) {
    const grant = new provider.Grant({ accountId: request.accountId, clientId: request.clientId });
    grant.addOIDCScope(request.scope);
    await grant.save();
    await provider.backchannelResult(request, grant);
  } else {
    await provider.backchannelResult(request, new errors.AccessDenied('the end-user denied the request'));
  }
  entry.status = approve ? 'approved' : 'denied';
  log(`CIBA request for ${entry.sub} ${entry.status}`);
  return entry;
}

async function triggerAuthenticationDevice(ctx, request, userAccount, client) {
  // oidc-provider has no setting for "interval"; its response body is already set here.
  ctx.body.interval = cibaInterval;
  const entry = {
    auth_req_id: ctx.body.auth_req_id,
    client_id: client.clientId,
    sub: userAccount.accountId,
    scope: request.scope,
    binding_message: ctx.oidc.params.binding_message ?? null,
    requested_expiry: ctx.oidc.params.requested_expiry === undefined ? null : Number(ctx.oidc.params.requested_expiry),
    expires_in: ctx.body.expires_in,
    expires_at: Date.now() + ctx.body.expires_in * 1000,
    status: 'pending',
  };
  cibaRequests.push(entry);
  log(`CIBA request for ${entry.sub} from ${entry.client_id}, scope ${JSON.stringify(entry.scope)}`);
  if (cibaAuto) {
    setTimeout(() => {
      if (entry.status === 'pending') {
        decideCiba(entry, cibaAuto === 'approve').catch((err) => log(`CIBA_AUTO: ${err.message}`));
      }
    }, cibaAutoDelayMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The provider

const configuration = {
  clients: [
    {
      ...clientDefaults,
      client_id: 'auth0-edge-test',
      client_secret: 'auth0-edge-test-secret',
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      ...clientDefaults,
      client_id: 'auth0-edge-basic',
      client_secret: 'auth0-edge-basic-secret',
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: {
    keys: signingKeys.map(({ alg: keyAlg, kid, privateKey }) => ({
      ...privateKey.export({ format: 'jwk' }), kid, alg: keyAlg, use: 'sig',
    })),
  },
  // Signed cookies (each cookie comes with a NAME.sig companion); a new key on every start.
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  responseTypes: ['code'],
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'nickname'],
    email: ['email', 'email_verified'],
  },
  // Put the scope claims (name, email, ...) into the ID token too, as Auth0 does; oidc-provider's
  // default (true) would keep them for the userinfo endpoint only when an access token is issued.
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) => account(sub),
  // Parameters that an Auth0 / Next.js-style client may send; oidc-provider ignores unknown
  // parameters anyway, these are just kept on the interaction and otherwise unused.
  extraParams: ['audience', 'organization', 'invitation', 'screen_hint', 'connection', 'federated'],
  pkce: { required: () => true },
  // Refresh tokens for every code and CIBA grant (offline_access not needed), a new one on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  // oidc-provider's default is 15 s: tokens stay usable that long past their "exp".
  clockTolerance,
  ttl: {
    AccessToken: accessTokenTtl,
    IdToken: 3600,
    AuthorizationCode: 60,
    RefreshToken: 24 * 60 * 60,
    Interaction: 10 * 60,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
    // requested_expiry as asked (oidc-provider checked it is a positive integer), else 10 min.
    BackchannelAuthenticationRequest: (ctx) => Number(ctx?.oidc?.params.requested_expiry || 10 * 60),
  },
  // oidc-provider's only outgoing requests here are back-channel logout POSTs. Its default
  // dispatcher refuses loopback addresses (an SSRF guard), which is where the app is; so use
  // Node's own, and record what the app answered.
  async fetch(url, { dispatcher, ...options }) { // eslint-disable-line no-unused-vars
    stats.backchannel_logouts_sent += 1;
    const response = await fetch(url, options);
    stats.backchannel_logout_responses.push(response.status);
    return response;
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    revocation: {
      enabled: true,
      // A client may revoke its own tokens only (oidc-provider's default, minus its notice).
      allowedPolicy: async (_ctx, client, token) => {
        if (token.clientId !== client.clientId) {
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    backchannelLogout: { enabled: backchannelLogoutUri !== undefined },
    // Token introspection (RFC 7662), for the DPoP tests: a bound token's `cnf.jkt`.
    introspection: { enabled: true },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: async (_ctx, loginHint) => cibaSub(loginHint),
      processLoginHintToken: async () => {
        throw new errors.InvalidRequest('login_hint_token is not supported, send login_hint');
      },
      validateBindingMessage: async () => {},
      validateRequestContext: async () => {},
      verifyUserCode: async () => {},
      triggerAuthenticationDevice,
    },
    // DPoP is on by default in oidc-provider (proofs are optional, tokens sent with one are
    // bound); DPOP=1 adds server nonces and requires them wherever a proof is checked.
    ...(dpopNonces && {
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    }),
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};

let provider;
try {
  provider = new Provider(issuer, configuration);
} catch (err) {
  fail(`configuration rejected: ${err.stack || err}`);
}

// Auth0 Token Vault: trade a refresh token of this client for an access token of an external
// connection. The refresh token is only looked up (not rotated, not consumed).
provider.registerGrantType(CONNECTION_GRANT, async (ctx) => {
  const { params, client } = ctx.oidc;
  for (const name of ['subject_token', 'subject_token_type', 'requested_token_type', 'connection']) {
    if (!params[name]) {
      throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    }
  }
  if (params.subject_token_type !== REFRESH_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`subject_token_type must be ${REFRESH_TOKEN_TYPE}`);
  }
  if (params.requested_token_type !== CONNECTION_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`requested_token_type must be ${CONNECTION_TOKEN_TYPE}`);
  }
  if (params.connection.startsWith('unknown')) {
    throw new errors.InvalidRequest(`connection ${params.connection} is not enabled for this client`);
  }
  const refreshToken = await provider.RefreshToken.find(params.subject_token);
  if (!refreshToken || refreshToken.clientId !== client.clientId || refreshToken.consumed) {
    throw new errors.InvalidGrant('subject_token is not a valid refresh token of this client');
  }
  ctx.body = {
    access_token: `conn-${params.connection}-${randomBytes(32).toString('base64url')}`,
    issued_token_type: CONNECTION_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: connectionTokenTtl,
    scope: CONNECTION_TOKEN_SCOPE,
  };
}, ['subject_token', 'subject_token_type', 'requested_token_type', 'connection', 'login_hint']);

// Auth0 puts a "sid" claim in every ID token (the Next.js SDK sends it back as logout_hint);
// oidc-provider only does for clients registered for back-channel logout. Always include it.
provider.Client.prototype.includeSid = () => true;

// ---------------------------------------------------------------------------------------------
// Middleware in front of oidc-provider's routes

const BODY_LIMIT = 56 * 1024;
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT) {
      throw new Error('request entity too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

// The form parameters of a POST, read once and handed on to oidc-provider as req.body, which it
// accepts from upstream parsers (it warns once on stderr: "already parsed request body detected").
const forms = new WeakMap();
async function formParams(ctx) {
  if (!forms.has(ctx)) {
    let params = new URLSearchParams();
    if (ctx.is('application/x-www-form-urlencoded')) {
      const body = await readBody(ctx.req);
      ctx.req.body = body;
      params = new URLSearchParams(body.toString('utf8'));
    }
    forms.set(ctx, params);
  }
  return forms.get(ctx);
}

const tokenPath = provider.pathFor('token');

// /test/stats: count every token request, and the grants by type and outcome.
const grantCounters = new Map([
  ['authorization_code', 'code_grants'],
  ['refresh_token', 'refresh_grants'],
  [CIBA_GRANT, 'ciba_grants'],
  [CONNECTION_GRANT, 'exchange_grants'],
]);
const grantFailureCounters = new Map([['refresh_token', 'refresh_grants_failed']]);
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== tokenPath) {
    return next();
  }
  stats.token_requests += 1;
  const grantType = (await formParams(ctx)).get('grant_type');
  await next();
  const counter = (ctx.status === 200 ? grantCounters : grantFailureCounters).get(grantType);
  if (counter) {
    stats[counter] += 1;
  }
  return undefined;
});

// oidc-provider accepts client_secret_basic and client_secret_post interchangeably, whatever
// the client registered. Auth0 holds a client to its registered method, and so does this
// provider: at every endpoint with client authentication (token, revocation, PAR, CIBA) a
// request that authenticates with the other method gets 401 invalid_client.
const registeredAuthMethod = new Map(configuration.clients.map((c) => [c.client_id, c.token_endpoint_auth_method]));
const clientAuthPaths = new Set(['token', 'revocation', 'pushed_authorization_request', 'backchannel_authentication']
  .map((route) => provider.pathFor(route)));
function formDecode(s) {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !clientAuthPaths.has(ctx.path) || !ctx.is('application/x-www-form-urlencoded')) {
    return next();
  }
  const params = await formParams(ctx);
  const authorization = ctx.get('authorization');
  let used;
  let clientId;
  try {
    if (/^basic /i.test(authorization)) {
      used = 'client_secret_basic';
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      clientId = formDecode(decoded.slice(0, Math.max(decoded.indexOf(':'), 0)));
    } else if (params.has('client_secret')) {
      used = 'client_secret_post';
      clientId = params.get('client_id');
    }
  } catch {
    // malformed credentials: oidc-provider answers those itself
  }
  const registered = registeredAuthMethod.get(clientId);
  if (used && registered && used !== registered) {
    log(`${ctx.path}: client ${clientId} authenticated with ${used}, registered ${registered}`);
    ctx.status = 401;
    if (used === 'client_secret_basic') {
      ctx.set('WWW-Authenticate', 'Basic realm="token"');
    }
    ctx.body = {
      error: 'invalid_client',
      error_description: `client authentication failed: this client must use ${registered}`,
    };
    return undefined;
  }
  return next();
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
  'end_session_confirm.error', 'revocation.error', 'userinfo.error', 'interaction.error',
  'pushed_authorization_request.error', 'backchannel_authentication.error']) {
  provider.on(event, (ctx, err) => {
    const status = err?.status ?? err?.statusCode ?? err?.response?.status ?? 500;
    const detail = err instanceof errors.OIDCProviderError
      ? [err.message, err.error_description, err.error_detail].filter(Boolean).join(': ')
      : err?.stack ?? String(err);
    log(`${event} ${status} ${ctx?.method ?? ''} ${ctx?.path ?? ''}: ${detail}`);
  });
}
provider.on('backchannel.success', (_ctx, client, sub, sid) => {
  log(`back-channel logout delivered to ${client.clientId} (sub ${sub}, sid ${sid})`);
});
provider.on('backchannel.error', (_ctx, err, client, sub, sid) => {
  const cause = err.cause ? `: ${err.cause.message ?? err.cause}` : '';
  log(`back-channel logout to ${client.clientId} (sub ${sub}, sid ${sid}) failed: ${err.message}${cause}`);
});

// ---------------------------------------------------------------------------------------------
// /test/ control endpoints (not oidc-provider's; see README.md)

async function jsonBody(req) {
  const text = (await readBody(req)).toString('utf8');
  let body;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new TestRequestError(400, 'invalid_request', 'the body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TestRequestError(400, 'invalid_request', 'the body must be a JSON object');
  }
  return body;
}

function base64urlJson(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// A compact JWS; `key` is a private KeyObject (RS256, ES256), an HMAC secret (HS256), or
// nothing (none).
function signJwt(header, payload, key) {
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  let signature;
  switch (header.alg) {
    case 'HS256':
      signature = createHmac('sha256', key).update(input).digest();
      break;
    case 'RS256':
      signature = cryptoSign('sha256', Buffer.from(input), key);
      break;
    case 'ES256':
      signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
      break;
    default:
      signature = Buffer.alloc(0);
  }
  return `${input}.${signature.toString('base64url')}`;
}

// POST /test/logout-token. The body's keys alg, secret, foreign_key and typ are options, all
// others are claims: a value replaces the default claim (or adds one), null removes it.
const LOGOUT_TOKEN_OPTIONS = new Set(['alg', 'secret', 'foreign_key', 'typ']);
function logoutToken(body) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    aud: 'auth0-edge-test',
    iat: now,
    exp: now + 120,
    jti: randomBytes(16).toString('base64url'),
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
  };
  for (const [name, value] of Object.entries(body)) {
    if (LOGOUT_TOKEN_OPTIONS.has(name)) {
      continue;
    }
    if (value === null) {
      delete claims[name];
    } else {
      claims[name] = value;
    }
  }

  const tokenAlg = body.alg ?? alg;
  if (!['RS256', 'ES256', 'HS256', 'none'].includes(tokenAlg)) {
    throw new TestRequestError(400, 'invalid_request', 'alg must be RS256, ES256, HS256 or none');
  }
  if ((tokenAlg === 'HS256') !== (body.secret !== undefined)) {
    throw new TestRequestError(400, 'invalid_request', 'secret (a string) goes with alg HS256, and only with it');
  }
  if (body.secret !== undefined && (typeof body.secret !== 'string' || !body.secret)) {
    throw new TestRequestError(400, 'invalid_request', 'secret must be a non-empty string');
  }
  if (body.foreign_key !== undefined && typeof body.foreign_key !== 'boolean') {
    throw new TestRequestError(400, 'invalid_request', 'foreign_key must be true or false');
  }
  if (body.foreign_key && !['RS256', 'ES256'].includes(tokenAlg)) {
    throw new TestRequestError(400, 'invalid_request', 'foreign_key goes with alg RS256 or ES256');
  }
  if (body.typ !== undefined && body.typ !== null && typeof body.typ !== 'string') {
    throw new TestRequestError(400, 'invalid_request', 'typ must be a string or null');
  }

  const header = { alg: tokenAlg };
  let key = body.secret;
  if (tokenAlg === 'RS256' || tokenAlg === 'ES256') {
    const own = signingKeys.find((k) => k.alg === tokenAlg);
    header.kid = own.kid;
    key = body.foreign_key ? generateSigningKey(tokenAlg, own.kid).privateKey : own.privateKey;
  }
  const typ = body.typ === undefined ? 'logout+jwt' : body.typ;
  if (typ !== null) {
    header.typ = typ;
  }
  return { logout_token: signJwt(header, claims, key) };
}

async function cibaDecision(req, approve) {
  const body = await jsonBody(req);
  const entry = cibaEntry(body);
  if (!entry) {
    throw new TestRequestError(404, 'not_found', `no pending CIBA request for ${JSON.stringify(body)}`);
  }
  try {
    await decideCiba(entry, approve);
  } catch (err) {
    throw new TestRequestError(409, 'conflict', err.message);
  }
  const { auth_req_id: authReqId, client_id: clientId, sub, scope, status } = entry;
  return {
    auth_req_id: authReqId, client_id: clientId, sub, scope, status,
  };
}

const testRoutes = {
  'GET /test/stats': async () => stats,
  'POST /test/logout-token': async (req) => logoutToken(await jsonBody(req)),
  'POST /test/ciba/approve': async (req) => cibaDecision(req, true),
  'POST /test/ciba/deny': async (req) => cibaDecision(req, false),
  'GET /test/ciba/requests': async () => ({
    requests: cibaRequests.map(({ expires_at: _, ...entry }) => entry),
  }),
};

async function testEndpoint(req, res, pathname) {
  let status = 200;
  let body;
  try {
    const route = testRoutes[`${req.method} ${pathname}`];
    if (!route) {
      throw new TestRequestError(404, 'not_found', `no test endpoint ${req.method} ${pathname}`);
    }
    body = await route(req);
  } catch (err) {
    if (!(err instanceof TestRequestError)) {
      log(`${req.method} ${pathname}: ${err.stack ?? err}`);
    }
    status = err.status ?? 500;
    body = { error: err.error ?? 'server_error', error_description: err.message };
  }
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

// ---------------------------------------------------------------------------------------------
// The server

const oidcCallback = provider.callback();
function handle(req, res) {
  const pathname = URL.parse(req.url, issuer)?.pathname ?? '';
  if (pathname.startsWith('/test/')) {
    return testEndpoint(req, res, pathname);
  }
  return oidcCallback(req, res);
}

let server;
try {
  server = tls ? createHttpsServer(tls, handle) : createHttpServer(handle);
} catch (err) {
  fail(`TLS_CERT / TLS_KEY rejected: ${err.message}`);
}
server.on('error', (err) => fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`));
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
