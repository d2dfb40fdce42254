// A real, local OpenID Connect provider for the integration tests.
//
// It wraps `oidc-provider` with one static confidential client, an in-memory
// store, and tiny hand-written login/consent pages (the library's own dev
// interactions are disabled) that are easy to drive from `requests` or Playwright.
//
// Environment:
//   PORT           port to listen on (127.0.0.1 only)
//   ISSUER         issuer URL (default http://127.0.0.1:$PORT)
//   CLIENT_ID      the client's id
//   CLIENT_SECRET  the client's secret (client_secret_basic)
//   REDIRECT_URIS  comma-separated list of exact redirect URIs
//   ACCESS_TOKEN_TTL  access token lifetime in seconds (default 600)
//
// With the `offline_access` scope (and prompt=consent, as OpenID Connect requires) the
// client gets a refresh token, rotated on every use. GET /test/refreshes answers how many
// refresh grants succeeded and failed, for tests that count them.
//
// Like an enterprise IdP, the provider also issues Identity Assertion JWT Authorization Grants
// (ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant) through the RFC 8693 token exchange
// grant `urn:ietf:params:oauth:grant-type:token-exchange`: the client presents an ID token it
// got from this provider (subject_token_type urn:ietf:params:oauth:token-type:id_token),
// `requested_token_type` urn:ietf:params:oauth:token-type:id-jag, the resource authorization
// server's issuer as `audience`, a `resource` and optionally a `scope`. The ID-JAG is an RS256
// JWT of type `oauth-id-jag+jwt` that lives 300 s. Endpoints for the tests that drive it:
//
//   POST /test/id-jag-clients  {"audience", "client_id"}: the client's id at that resource
//                              authorization server, put in ID-JAGs for that audience (without
//                              one, the exchange fails with invalid_target). Answers 204.
//   POST /test/rotate-keys     adds a new RSA key to the JWKS and signs ID-JAGs with it from
//                              then on (ID tokens keep the first key). Answers {"kid"}.
//   POST /test/sign            {"claims", "header"}: answers {"jwt"}, the claims signed as
//                              given with the current ID-JAG key. "header" entries override
//                              the defaults (alg RS256, typ oauth-id-jag+jwt, kid of that key);
//                              a null removes one; a kid that names no published key gets a
//                              key never published; alg "none" gives an unsigned JWT.
//
// The JWKS (GET /jwks) lists every key ever used, so tokens signed before a rotation still verify.
//
// Prints `ready <issuer>` on stdout once listening; exits cleanly on SIGTERM.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';

import { SignJWT, base64url } from 'jose';
import Provider, { errors } from 'oidc-provider';

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing required environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const PORT = Number.parseInt(requireEnv('PORT'), 10);
const ISSUER = process.env.ISSUER || `http://127.0.0.1:${PORT}`;
const CLIENT_ID = requireEnv('CLIENT_ID');
const CLIENT_SECRET = requireEnv('CLIENT_SECRET');
const REDIRECT_URIS = requireEnv('REDIRECT_URIS').split(',').map((uri) => uri.trim()).filter(Boolean);
const ACCESS_TOKEN_TTL = Number.parseInt(process.env.ACCESS_TOKEN_TTL || '600', 10);
const refreshes = { succeeded: 0, failed: 0 };

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ID_JAG_JWT_TYPE = 'oauth-id-jag+jwt';
const ID_JAG_TTL = 300;

// Fresh RS256 signing keys per run: tests must fetch them from the jwks_uri, as a real RP does.
function newRsaKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomBytes(8).toString('hex'), privateKey };
}

// Every key ever published, oldest first; the last one signs ID-JAGs. The first one is also the
// key oidc-provider signs ID tokens with, for the whole run.
const signingKeys = [newRsaKey()];
// Signs what /test/sign is asked to sign under a kid nobody published: verifiers must reject it.
const unpublishedKey = newRsaKey();
const currentKey = () => signingKeys.at(-1);

function privateJwk({ kid, privateKey }) {
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

function publicJwk({ kid, privateKey }) {
  const { kty, n, e } = privateKey.export({ format: 'jwk' });
  return { kty, n, e, kid, alg: 'RS256', use: 'sig' };
}

// Client ids at resource authorization servers, by their issuer (the ID-JAG audience).
const idJagClients = new Map();

// "alice.smith" -> "Alice Smith"
function titleCase(login) {
  return login
    .split(/[\s._-]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ');
}

// Any login name is accepted and becomes the subject; the profile is derived from it. A login starting
// "ops." is in the group "mcp-admins"; one starting "infoops." too, but only its user info says so, not
// its ID token; one starting "unverified." has an e-mail address not verified.
async function findAccount(_ctx, id) {
  return {
    accountId: id,
    async claims(use) {
      const inUserInfoOnly = id.startsWith('infoops.');
      const groups = id.startsWith('ops.') || inUserInfoOnly ? ['staff', 'mcp-admins'] : ['staff'];
      return {
        sub: id,
        email: `${id}@example.test`,
        email_verified: !id.startsWith('unverified.'),
        name: titleCase(id) || id,
        picture: `https://example.test/avatars/${encodeURIComponent(id)}.png`,
        ...(inUserInfoOnly && use !== 'userinfo' ? {} : { groups }),
      };
    },
  };
}

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: REDIRECT_URIS,
    grant_types: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  responseTypes: ['code'],
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  rotateRefreshToken: true,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'picture', 'groups'],
  },
  // Put the scope's claims into the ID token too, not only into /userinfo,
  // so the relying party gets email and name straight from the ID token.
  conformIdTokenClaims: false,
  findAccount,
  jwks: { keys: [privateJwk(signingKeys[0])] },
  pkce: { required: () => true }, // oidc-provider 9 supports S256 only
  features: {
    devInteractions: { enabled: false },
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  // Signed cookies without `secure`: oidc-provider marks them secure only when the
  // request itself is https, so they work over plain http on 127.0.0.1. Their
  // lifetimes come from the TTLs below (the library ignores maxAge here).
  cookies: {
    keys: [randomBytes(32).toString('hex')],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  ttl: {
    Session: 60 * 60,
    Interaction: 10 * 60,
    Grant: 60 * 60,
    AuthorizationCode: 60,
    AccessToken: ACCESS_TOKEN_TTL,
    RefreshToken: 24 * 60 * 60,
    IdToken: 10 * 60,
  },
};

const provider = new Provider(ISSUER, configuration);
provider.proxy = false; // we are hit directly, never behind a proxy
provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params.grant_type === 'refresh_token') refreshes.succeeded += 1;
});
provider.on('grant.error', (ctx) => {
  if (ctx.oidc.params?.grant_type === 'refresh_token') refreshes.failed += 1;
});

// --- ID-JAG token exchange --------------------------------------------------

function invalidGrant(description) {
  return Object.assign(new errors.InvalidGrant(), { error_description: description });
}

function requireParams(params, names) {
  for (const name of names) {
    if (!params[name]) throw new errors.InvalidRequest(`missing required parameter '${name}'`);
  }
}

// The ID token's claims if this provider signed it for `client` and it has not expired.
// IdToken.validate checks signature, issuer, audience and sub, but ignores expiry: it is
// meant for id_token_hint, which may be stale.
async function validateSubjectToken(token, client) {
  let payload;
  try {
    ({ payload } = await provider.IdToken.validate(token, client));
  } catch (err) {
    throw invalidGrant(`subject_token is not a valid ID token for this client: ${err.message}`);
  }
  if (typeof payload.exp !== 'number' || payload.exp <= Math.floor(Date.now() / 1000)) {
    throw invalidGrant('subject_token has expired');
  }
  return payload;
}

async function signIdJag(claims) {
  const { kid, privateKey } = currentKey();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: ID_JAG_JWT_TYPE, kid })
    .sign(privateKey);
}

async function idJagClaims(ctx, subject, clientId) {
  const { audience, resource, scope } = ctx.oidc.params;
  const account = await findAccount(ctx, subject.sub);
  const { email, email_verified: emailVerified, name } = await account.claims('id_token', 'openid email profile', {}, []);
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: subject.sub,
    aud: audience,
    resource,
    client_id: clientId,
    jti: randomUUID(),
    iat,
    exp: iat + ID_JAG_TTL,
    ...(scope ? { scope } : {}),
    email,
    email_verified: emailVerified,
    name,
  };
}

// RFC 8693 token exchange that trades an ID token for an ID-JAG. The token endpoint has already
// authenticated the client, checked it may use this grant, dropped parameters not listed at
// registration, rejected repeated ones, and set Cache-Control: no-store.
async function exchangeForIdJag(ctx) {
  const { params, client } = ctx.oidc;
  requireParams(params, ['requested_token_type', 'subject_token', 'subject_token_type', 'audience', 'resource']);
  if (params.requested_token_type !== ID_JAG_TYPE) {
    throw new errors.InvalidRequest(`requested_token_type must be ${ID_JAG_TYPE}`);
  }
  if (params.subject_token_type !== ID_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
  }
  const subject = await validateSubjectToken(params.subject_token, client);
  const clientId = idJagClients.get(params.audience);
  if (!clientId) throw new errors.InvalidTarget('no client registered for this audience');

  ctx.body = {
    issued_token_type: ID_JAG_TYPE,
    access_token: await signIdJag(await idJagClaims(ctx, subject, clientId)),
    token_type: 'N_A',
    expires_in: ID_JAG_TTL,
    ...(params.scope ? { scope: params.scope } : {}),
  };
}

provider.registerGrantType(TOKEN_EXCHANGE, exchangeForIdJag, [
  'requested_token_type', 'subject_token', 'subject_token_type', 'audience', 'resource', 'scope',
]);

// --- interaction pages ------------------------------------------------------

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function sendHtml(res, status, title, body) {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
  });
  res.end(html);
}

function loginPage(res, uid, clientId, error) {
  const message = error ? `<p role="alert">${escapeHtml(error)}</p>` : '';
  sendHtml(res, error ? 400 : 200, 'Sign in', `${message}
<p>Signing in to <strong>${escapeHtml(clientId)}</strong>. Any login name works.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <label for="login">Login</label>
  <input id="login" name="login" type="text" autocomplete="username" autofocus required>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button type="submit">Cancel</button>
</form>`);
}

function consentPage(res, uid, clientId, scope) {
  sendHtml(res, 200, 'Authorize', `
<p><strong>${escapeHtml(clientId)}</strong> asks for: <code>${escapeHtml(scope)}</code></p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <button type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort">
  <button type="submit">Deny</button>
</form>`);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readForm(req) {
  return new URLSearchParams(await readBody(req));
}

// Grants everything the consent prompt reports as missing (scopes and claims).
async function grantConsent(interaction) {
  const { prompt: { details }, params, session: { accountId } } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });

  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

const ABORTED = { error: 'access_denied', error_description: 'End-User aborted interaction' };

// Handles /interaction/:uid[/action]; returns false for any other path.
async function handleInteraction(req, res, pathname) {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(pathname);
  if (!match) return false;
  const [, uid, action] = match;

  // Throws SessionNotFound unless the interaction cookie matches this uid.
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw new Error('interaction uid mismatch');
  const { prompt, params } = interaction;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') loginPage(res, uid, params.client_id);
    else consentPage(res, uid, params.client_id, params.scope);
    return true;
  }
  if (req.method !== 'POST' || !action) {
    sendHtml(res, 405, 'Method not allowed', '');
    return true;
  }

  const form = await readForm(req);
  if (action === 'abort') {
    await provider.interactionFinished(req, res, ABORTED, { mergeWithLastSubmission: false });
  } else if (action === 'login') {
    if (prompt.name !== 'login') throw new Error(`unexpected prompt ${prompt.name}`);
    const login = (form.get('login') || '').trim();
    if (!login) {
      loginPage(res, uid, params.client_id, 'Please enter a login name.');
      return true;
    }
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  } else {
    if (prompt.name !== 'consent') throw new Error(`unexpected prompt ${prompt.name}`);
    const grantId = await grantConsent(interaction);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return true;
}

// --- test endpoints ---------------------------------------------------------

function sendJson(res, status, body) {
  const json = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(json);
}

// Like oidc-provider's own: cacheable, and readable from any origin.
function sendJwks(res) {
  const json = JSON.stringify({ keys: signingKeys.map(publicJwk) });
  res.writeHead(200, { 'Content-Type': 'application/jwk-set+json; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
  res.end(json);
}

class BadRequest extends Error {}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

async function readJsonObject(req) {
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    throw new BadRequest('the body must be JSON');
  }
  if (!isObject(body)) throw new BadRequest('the body must be a JSON object');
  return body;
}

function mapClient({ audience, client_id: clientId }) {
  if (typeof audience !== 'string' || !audience || typeof clientId !== 'string' || !clientId) {
    throw new BadRequest('audience and client_id must be non-empty strings');
  }
  idJagClients.set(audience, clientId);
}

function rotateKeys() {
  signingKeys.push(newRsaKey());
  return { kid: currentKey().kid };
}

// The key for the kid a test asked for: a published one by that kid, the current one without
// a kid (absent, or null to leave it out), and otherwise one that no JWKS lists.
function keyForKid(kid) {
  if (kid === undefined || kid === null) return currentKey();
  return signingKeys.find((key) => key.kid === kid) || unpublishedKey;
}

async function signAsGiven({ claims, header = {} }) {
  if (!isObject(claims) || !isObject(header)) throw new BadRequest('claims and header must be JSON objects');
  const key = keyForKid(header.kid);
  const merged = { alg: 'RS256', typ: ID_JAG_JWT_TYPE, kid: key.kid, ...header };
  const protectedHeader = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== null));
  if (protectedHeader.alg === 'none') {
    const encode = (part) => base64url.encode(JSON.stringify(part));
    return { jwt: `${encode(protectedHeader)}.${encode(claims)}.` };
  }
  try {
    return { jwt: await new SignJWT(claims).setProtectedHeader(protectedHeader).sign(key.privateKey) };
  } catch (err) {
    throw new BadRequest(`cannot sign: ${err.message}`);
  }
}

const TEST_ENDPOINTS = {
  'GET /test/refreshes': async () => refreshes,
  'POST /test/id-jag-clients': async (req) => mapClient(await readJsonObject(req)),
  'POST /test/rotate-keys': async () => rotateKeys(),
  'POST /test/sign': async (req) => signAsGiven(await readJsonObject(req)),
};

// Handles the /test/ endpoints; returns false for any other path.
async function handleTestEndpoint(req, res, pathname) {
  if (!pathname.startsWith('/test/')) return false;
  const endpoint = TEST_ENDPOINTS[`${req.method} ${pathname}`];
  if (!endpoint) {
    sendJson(res, 404, { error: `no ${req.method} ${pathname}` });
    return true;
  }
  try {
    const body = await endpoint(req);
    sendJson(res, body === undefined ? 204 : 200, body);
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    sendJson(res, 400, { error: err.message });
  }
  return true;
}

// --- server -----------------------------------------------------------------

const providerCallback = provider.callback();
const JWKS_PATH = new URL(provider.urlFor('jwks')).pathname;

const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, ISSUER);
    // Served here rather than by oidc-provider, whose JWKS only knows the keys it was configured with.
    if (pathname === JWKS_PATH && req.method === 'GET') {
      sendJwks(res);
      return;
    }
    if (await handleTestEndpoint(req, res, pathname)) return;
    if (await handleInteraction(req, res, pathname)) return;
    providerCallback(req, res);
  } catch (err) {
    console.error(`error on ${req.method} ${req.url}:`, err);
    if (!res.headersSent) {
      const detail = err.error_description || err.message;
      sendHtml(res, err.statusCode || 500, 'Error', `<p>${escapeHtml(err.name)}: ${escapeHtml(detail)}</p>`);
    } else {
      res.end();
    }
  }
});

function shutdown(signal) {
  console.log(`received ${signal}, shutting down`);
  server.close(() => process.exit(0));
  server.closeAllConnections(); // drop idle keep-alive connections so close() can finish
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.listen(PORT, '127.0.0.1', () => {
  console.log(`ready ${ISSUER}`);
});
