// A small OpenID provider of our own: oauth2-mock-server has no login page, and oidc-provider
// needs heavy interaction and consent plumbing for what is a local stand-in for Google.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  /** Compared exactly, as Google does. */
  redirectUris: readonly string[];
}

export interface OidcProviderOptions {
  /** The provider's full public URL, including the prefix it is mounted under. */
  issuer: string;
  clients: readonly OidcClient[];
}

const SIGNING_ALGORITHM = 'ES256';
const CODE_TTL_MS = 60_000;
const TOKEN_TTL_SECONDS = 3600;
/** Codes live in memory: bound them so a form-posting loop cannot exhaust it. */
const MAX_PENDING_CODES = 10_000;
const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}$/;
const MAX_NAME_LENGTH = 100;
const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

interface AuthorizationRequest {
  client: OidcClient;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scope: string;
  codeChallenge: string;
  loginHint: string | undefined;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  scope: string;
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string | undefined;
  expiresAt: number;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/** Query and form values arrive as strings, arrays (a repeated parameter) or not at all. */
function single(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new OAuthError(400, 'invalid_request', `parameter ${name} must be given exactly once`);
  }
  return value === '' ? undefined : value;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A stable subject per email, so a person keeps their account across restarts, never the email. */
function subjectFor(email: string): string {
  return createHash('sha256').update(`dev-oidc-subject:${email}`).digest('hex').slice(0, 32);
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

function redirectWith(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
  const target = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.set(key, value);
  }
  return reply.redirect(target.toString(), 302);
}

function signInPage(request: AuthorizationRequest, issuer: string): string {
  const hidden = {
    client_id: request.client.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  const fields = Object.entries(hidden)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const returnTo = new URL(request.redirectUri).origin;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Local development sign-in (not Google)</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
    .warning { background: #fff3cd; border: 1px solid #e0b000; padding: .75rem; border-radius: .4rem; }
    label { display: block; margin-top: 1rem; }
    input[type=email], input[type=text] { width: 100%; padding: .5rem; box-sizing: border-box; }
    .buttons { margin-top: 1.5rem; display: flex; gap: .75rem; }
    button { padding: .5rem 1.25rem; }
  </style>
</head>
<body>
  <h1>Local development sign-in</h1>
  <p class="warning"><strong>This is not Google.</strong> It is a local development sign-in provider
    (${escapeHtml(issuer)}) that lets anyone sign in as any email. Never use it in production.</p>
  <p>Signing in to <code>${escapeHtml(request.client.clientId)}</code>, which will receive you back at
    <code>${escapeHtml(returnTo)}</code>.</p>
  <form method="post">
      ${fields}
    <label>Email <input type="email" name="email" required autofocus autocomplete="email"
      value="${escapeHtml(request.loginHint ?? '')}"></label>
    <label>Name (optional) <input type="text" name="name" maxlength="${MAX_NAME_LENGTH}" autocomplete="name"></label>
    <label><input type="checkbox" name="email_verified" value="true" checked> Email verified</label>
    <div class="buttons">
      <button type="submit" name="action" value="sign_in">Sign in</button>
      <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    </div>
  </form>
</body>
</html>`;
}

/**
 * An OpenID Connect provider for local development and tests: authorization code flow with PKCE
 * S256 only, a page where you type the email to sign in as, ID tokens signed with a key pair
 * generated at start. Mount it under a prefix of the main app or on a server of its own.
 */
export const oidcProvider: FastifyPluginAsync<OidcProviderOptions> = async (app, options) => {
  const issuer = options.issuer.replace(/\/+$/, '');
  const clients = new Map(options.clients.map((client) => [client.clientId, client]));
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }] };
  const codes = new Map<string, IssuedCode>();
  const userinfoAudience = `${issuer}/userinfo`;

  await app.register(formbody);

  // OAuth clients expect {error, error_description}, not the service's problem details.
  app.setErrorHandler((error, request, reply) => {
    let oauth: OAuthError;
    const { statusCode, message } = error as Partial<FastifyError>;
    if (error instanceof OAuthError) oauth = error;
    else if (statusCode !== undefined && statusCode < 500) {
      oauth = new OAuthError(400, 'invalid_request', message ?? 'bad request');
    } else {
      request.log.error({ err: error }, 'dev OIDC provider failed');
      oauth = new OAuthError(500, 'server_error', 'unexpected error');
    }
    if (oauth.status === 401) reply.header('www-authenticate', 'Basic realm="dev-oidc"');
    return reply
      .code(oauth.status)
      .header('cache-control', 'no-store')
      .send({ error: oauth.error, error_description: oauth.message });
  });

  /** Checks everything a redirect may safely carry errors back for; before that, errors stay here. */
  function parseAuthorizationRequest(source: unknown, reply: FastifyReply): AuthorizationRequest | null {
    const clientId = single(source, 'client_id');
    const client = clientId === undefined ? undefined : clients.get(clientId);
    if (!client) throw new OAuthError(400, 'invalid_request', 'unknown client_id');
    const redirectUri = single(source, 'redirect_uri');
    if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
      throw new OAuthError(400, 'invalid_request', 'redirect_uri is not registered for this client');
    }
    const state = single(source, 'state');
    const fail = (error: string, description: string) => {
      redirectWith(reply, redirectUri, { error, error_description: description, state });
      return null;
    };
    if (single(source, 'response_type') !== 'code') {
      return fail('unsupported_response_type', 'only response_type=code is supported');
    }
    const scope = single(source, 'scope') ?? '';
    if (!scope.split(' ').includes('openid')) return fail('invalid_scope', 'scope must include openid');
    const codeChallenge = single(source, 'code_challenge');
    if (
      single(source, 'code_challenge_method') !== 'S256' ||
      !codeChallenge ||
      !PKCE_CHALLENGE.test(codeChallenge)
    ) {
      return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
    }
    return {
      client,
      redirectUri,
      state,
      nonce: single(source, 'nonce'),
      scope,
      codeChallenge,
      loginHint: single(source, 'login_hint'),
    };
  }

  function issueCode(grant: Omit<IssuedCode, 'expiresAt'>): string {
    const now = Date.now();
    for (const [code, issued] of codes) if (issued.expiresAt <= now) codes.delete(code);
    if (codes.size >= MAX_PENDING_CODES) {
      throw new OAuthError(503, 'temporarily_unavailable', 'too many pending authorization codes');
    }
    const code = randomBytes(32).toString('base64url');
    codes.set(code, { ...grant, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  function authenticateClient(authorization: string | undefined, body: unknown): OidcClient {
    const postedId = single(body, 'client_id');
    const postedSecret = single(body, 'client_secret');
    let clientId = postedId;
    let secret = postedSecret;
    if (authorization?.startsWith('Basic ')) {
      if (postedSecret !== undefined) {
        throw new OAuthError(400, 'invalid_request', 'use one client authentication method, not two');
      }
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials');
      // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
      const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
      try {
        clientId = formDecode(decoded.slice(0, colon));
        secret = formDecode(decoded.slice(colon + 1));
      } catch {
        throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials');
      }
      if (postedId !== undefined && postedId !== clientId) {
        throw new OAuthError(
          400,
          'invalid_request',
          'client_id in the body differs from the Basic credentials',
        );
      }
    }
    const client = clientId === undefined ? undefined : clients.get(clientId);
    if (!client || secret === undefined || !sameSecret(secret, client.clientSecret)) {
      throw new OAuthError(401, 'invalid_client', 'client authentication failed');
    }
    return client;
  }

  app.get('/.well-known/openid-configuration', { schema: { hide: true } }, async () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    scopes_supported: ['openid', 'email', 'profile'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['iss', 'aud', 'sub', 'iat', 'exp', 'nonce', 'email', 'email_verified', 'name'],
  }));

  app.get('/jwks', { schema: { hide: true } }, async () => jwks);

  app.get('/authorize', { schema: { hide: true } }, async (request, reply) => {
    const authorization = parseAuthorizationRequest(request.query, reply);
    if (!authorization) return reply;
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .send(signInPage(authorization, issuer));
  });

  app.post('/authorize', { schema: { hide: true } }, async (request, reply) => {
    const authorization = parseAuthorizationRequest(request.body, reply);
    if (!authorization) return reply;
    const { redirectUri, state } = authorization;
    if (single(request.body, 'action') === 'cancel') {
      return redirectWith(reply, redirectUri, {
        error: 'access_denied',
        error_description: 'the person cancelled the sign-in',
        state,
      });
    }
    const email = single(request.body, 'email')?.trim().toLowerCase();
    if (email === undefined || email.length > 254 || !EMAIL.test(email)) {
      throw new OAuthError(400, 'invalid_request', 'type a valid email address');
    }
    const name = single(request.body, 'name')?.trim().slice(0, MAX_NAME_LENGTH) || undefined;
    const code = issueCode({
      clientId: authorization.client.clientId,
      redirectUri,
      codeChallenge: authorization.codeChallenge,
      nonce: authorization.nonce,
      scope: authorization.scope,
      sub: subjectFor(email),
      email,
      emailVerified: single(request.body, 'email_verified') !== undefined,
      name,
    });
    return redirectWith(reply, redirectUri, { code, state });
  });

  app.post('/token', { schema: { hide: true } }, async (request, reply) => {
    const client = authenticateClient(request.headers.authorization, request.body);
    if (single(request.body, 'grant_type') !== 'authorization_code') {
      throw new OAuthError(400, 'unsupported_grant_type', 'only authorization_code is supported');
    }
    const code = single(request.body, 'code');
    const issued = code === undefined ? undefined : codes.get(code);
    // Single use: the code is spent by any attempt to redeem it, successful or not.
    if (code !== undefined) codes.delete(code);
    if (!issued || issued.expiresAt <= Date.now() || issued.clientId !== client.clientId) {
      throw new OAuthError(
        400,
        'invalid_grant',
        'the authorization code is invalid, expired or already used',
      );
    }
    if (single(request.body, 'redirect_uri') !== issued.redirectUri) {
      throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
    }
    const verifier = single(request.body, 'code_verifier');
    if (verifier === undefined || !PKCE_VERIFIER.test(verifier) || s256(verifier) !== issued.codeChallenge) {
      throw new OAuthError(400, 'invalid_grant', 'the PKCE code_verifier does not match');
    }

    const claims = {
      email: issued.email,
      email_verified: issued.emailVerified,
      ...(issued.name === undefined ? {} : { name: issued.name }),
    };
    const idToken = await new SignJWT({
      ...claims,
      ...(issued.nonce === undefined ? {} : { nonce: issued.nonce }),
    })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(client.clientId)
      .setSubject(issued.sub)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(privateKey);
    const accessToken = await new SignJWT({ ...claims, scope: issued.scope, client_id: client.clientId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(userinfoAudience)
      .setSubject(issued.sub)
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(privateKey);
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_SECONDS,
      id_token: idToken,
      scope: issued.scope,
    });
  });

  app.get('/userinfo', { schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    try {
      if (token === undefined) throw new Error('no bearer token');
      const { payload } = await jwtVerify(token, publicKey, {
        algorithms: [SIGNING_ALGORITHM],
        issuer,
        audience: userinfoAudience,
        typ: 'at+jwt',
      });
      return reply.header('cache-control', 'no-store').send({
        sub: payload.sub,
        email: payload.email,
        email_verified: payload.email_verified,
        ...(payload.name === undefined ? {} : { name: payload.name }),
      });
    } catch {
      return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({
        error: 'invalid_token',
        error_description: 'the access token is missing, invalid or expired',
      });
    }
  });
};
