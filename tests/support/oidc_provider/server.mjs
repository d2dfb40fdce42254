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
// Prints `ready <issuer>` on stdout once listening; exits cleanly on SIGTERM.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

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

// Fresh RS256 signing key per run: tests must fetch it from the jwks_uri, as a real RP does.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

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
    grant_types: ['authorization_code', 'refresh_token'],
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
  jwks: { keys: [signingKey] },
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

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
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

// --- server -----------------------------------------------------------------

const providerCallback = provider.callback();

const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, ISSUER);
    if (pathname === '/test/refreshes') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(refreshes));
      return;
    }
    if (await handleInteraction(req, res, pathname)) return;
    providerCallback(req, res);
  } catch (err) {
    console.error(`interaction error on ${req.method} ${req.url}:`, err);
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
