// A test OpenID Provider (oidc-provider) for the end-to-end tests.
//
//   PORT=4000 ALG=RS256 \
//   REDIRECT_URIS=http://127.0.0.1:3000/auth/callback \
//   POST_LOGOUT_REDIRECT_URIS=http://127.0.0.1:3000 \
//   node provider.mjs
//
// Listens on 127.0.0.1:PORT, issuer "http://127.0.0.1:PORT" (no trailing slash), and prints
// one line "READY http://127.0.0.1:PORT" to stdout once it accepts connections. Everything
// else (oidc-provider's warnings, request errors) goes to stderr. Exits non-zero when it
// cannot start. See README.md for the flows it serves and how to drive them without a browser.
//
// Environment:
//   PORT                       required, 1..65535
//   ALG                        RS256 (default) or ES256: the ID token signing algorithm
//   REDIRECT_URIS              comma-separated redirect_uris of both clients
//   POST_LOGOUT_REDIRECT_URIS  comma-separated post_logout_redirect_uris of both clients (may be empty)

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

// stdout carries the READY line only: oidc-provider prints its notices with console.info.
console.info = (...args) => console.error(...args);

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(1);
}

function list(name) {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

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

const issuer = `http://127.0.0.1:${port}`;

// Fresh signing keys on every start: an RSA 2048 key (RS256) and a P-256 key (ES256), both
// published in the JWKS with a kid. The client's id_token_signed_response_alg picks which one
// signs the ID tokens.
function signingKey(type, options, keyAlg, kid) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: keyAlg, use: 'sig' };
}
const keys = [
  signingKey('rsa', { modulusLength: 2048 }, 'RS256', 'test-rsa-1'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256', 'test-ec-1'),
];

const clientDefaults = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: redirectUris,
  post_logout_redirect_uris: postLogoutRedirectUris,
  id_token_signed_response_alg: alg,
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
  jwks: { keys },
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
  // Refresh tokens for every code grant (offline_access not needed), a new one on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 60,
    IdToken: 3600,
    AuthorizationCode: 60,
    RefreshToken: 24 * 60 * 60,
    Interaction: 10 * 60,
    Session: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
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

// oidc-provider accepts client_secret_basic and client_secret_post interchangeably, whatever
// the client registered. Auth0 holds a client to its registered method, and so does this
// provider: at the token and revocation endpoints a request that authenticates with the other
// method gets 401 invalid_client. (The form body is read here and handed on to oidc-provider
// as req.body, which it accepts from upstream parsers.)
const registeredAuthMethod = new Map(configuration.clients.map((c) => [c.client_id, c.token_endpoint_auth_method]));
const clientAuthPaths = new Set([
  new URL('/token', issuer).pathname,
  new URL('/token/revocation', issuer).pathname,
]);
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
function formDecode(s) {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !clientAuthPaths.has(ctx.path) || !ctx.is('application/x-www-form-urlencoded')) {
    return next();
  }
  const body = await readBody(ctx.req);
  ctx.req.body = body;
  const params = new URLSearchParams(body.toString('utf8'));
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
    process.stderr.write(`provider.mjs: ${ctx.path}: client ${clientId} authenticated with ${used}, registered ${registered}\n`);
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

// Auth0 puts a "sid" claim in every ID token (the Next.js SDK sends it back as logout_hint);
// oidc-provider only does for clients registered for back-channel logout. Always include it.
provider.Client.prototype.includeSid = () => true;

for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error',
  'end_session_confirm.error', 'revocation.error', 'userinfo.error', 'interaction.error']) {
  provider.on(event, (ctx, err) => {
    const status = err?.status ?? err?.statusCode ?? 500;
    const detail = err instanceof errors.OIDCProviderError
      ? [err.message, err.error_description, err.error_detail].filter(Boolean).join(': ')
      : err?.stack ?? String(err);
    process.stderr.write(`provider.mjs: ${event} ${status} ${ctx?.method ?? ''} ${ctx?.path ?? ''}: ${detail}\n`);
  });
}

const server = createServer(provider.callback());
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
