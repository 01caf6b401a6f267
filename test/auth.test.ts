import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { eq } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { STATE_COOKIE } from '../harness/provider-page.ts';
import { createGoogleSignIn } from '../src/auth/google.ts';
import { users } from '../src/db/schema.ts';
import { isValidWalletNumber } from '../src/ledger/wallet-number.ts';
import { startTestApp, TEST_JWT_SECRET } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import {
  answerAtProvider,
  finishSignIn,
  type SignInTestSetup,
  signInThroughProvider,
  startAppWithProvider,
  startSignIn,
} from './support/sign-in.ts';

let s: SignInTestSetup;

beforeAll(async () => {
  s = await startAppWithProvider();
});
afterAll(() => s.close());

/** A refused sign-in hands out no token and still drops the state cookie. */
async function expectRefused(response: Response, status: number, code: string) {
  const cleared = response.headers.getSetCookie().find((header) => header.startsWith(`${STATE_COOKIE}=`));
  expect(cleared).toMatch(/Max-Age=0/);
  const body = await expectProblem(response, status, code);
  expect(body).not.toHaveProperty('access_token');
  return body;
}

async function usersWithEmail(email: string) {
  return s.t.db.select().from(users).where(eq(users.email, email));
}

describe('Google sign-in through the OpenID provider', () => {
  it('starts with a redirect carrying state, nonce, PKCE S256 and the OpenID scopes', async () => {
    const response = await fetch(`${s.t.url}/auth/google`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.origin).toBe(s.provider.issuer);
    expect(location.pathname).toBe('/authorize');
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(s.provider.client.clientId);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('scope')).toBe('openid email profile');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(params.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    const cookie = response.headers.getSetCookie().find((header) => header.startsWith(`${STATE_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Max-Age=600/);
    expect(cookie).toMatch(/Path=\/auth\/google/);
  });

  it('signs in end to end, creating the user and a zero-balance wallet', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, {
      email: 'ada@example.com',
      name: 'Ada Lovelace',
    });
    expect(callbackUrl.href.startsWith(`${s.t.url}/auth/google/callback?`)).toBe(true);
    const response = await finishSignIn(callbackUrl, cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.getSetCookie().find((h) => h.startsWith(`${STATE_COOKIE}=`))).toMatch(
      /Max-Age=0/,
    );
    const body = await json(response);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type', 'user', 'wallet']);
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: s.t.config.jwtTtlSeconds,
      user: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), email: 'ada@example.com', name: 'Ada Lovelace' },
      wallet: { wallet_number: expect.stringMatching(/^\d{13}$/) },
    });
    expect(isValidWalletNumber(body.wallet.wallet_number)).toBe(true);
    expect(decodeJwt(body.access_token).sub).toBe(body.user.id);

    const balance = await fetch(`${s.t.url}/wallet/balance`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(balance.status).toBe(200);
    expect(await balance.json()).toEqual({
      balance: 0,
      currency: 'NGN',
      wallet_number: body.wallet.wallet_number,
      frozen: false,
      debt: 0,
    });
  });

  it('returns the same user and wallet on a second sign-in', async () => {
    const first = await signInThroughProvider(s.t.url, 'grace@example.com', { name: 'Grace' });
    const second = await signInThroughProvider(s.t.url, 'Grace@Example.com', { name: 'Grace Hopper' });
    expect(second.user.id).toBe(first.user.id);
    expect(second.wallet.wallet_number).toBe(first.wallet.wallet_number);
    expect(second.user.name).toBe('Grace Hopper');
    expect(await usersWithEmail('grace@example.com')).toHaveLength(1);
  });

  it('gives a user without a name a null name', async () => {
    const result = await signInThroughProvider(s.t.url, 'noname@example.com');
    expect(result.user.name).toBeNull();
  });

  it('moves the start to the callback’s host first, so the cookie reaches the callback', async () => {
    const port = new URL(s.t.url).port;
    const response = await fetch(`http://localhost:${port}/auth/google`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`http://127.0.0.1:${port}/auth/google`);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('refuses a tampered state', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'mallory@example.com' });
    callbackUrl.searchParams.set('state', `${callbackUrl.searchParams.get('state')}x`);
    await expectRefused(await finishSignIn(callbackUrl, cookie), 400, 'invalid_sign_in_state');
    expect(await usersWithEmail('mallory@example.com')).toHaveLength(0);
  });

  it('refuses a callback from another browser’s sign-in (login CSRF)', async () => {
    const victim = await startSignIn(s.t.url);
    const attacker = await startSignIn(s.t.url);
    const attackerCallback = await answerAtProvider(attacker.authorizeUrl, { email: 'attacker@example.com' });
    await expectRefused(await finishSignIn(attackerCallback, victim.cookie), 400, 'invalid_sign_in_state');
  });

  it('refuses a tampered state cookie', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'mallory@example.com' });
    const [header, payload, signature] = cookie.slice(STATE_COOKIE.length + 1).split('.');
    const flipped = `${(signature as string).slice(0, -2)}${(signature as string).endsWith('AA') ? 'BB' : 'AA'}`;
    const tampered = `${STATE_COOKIE}=${header}.${payload}.${flipped}`;
    await expectRefused(await finishSignIn(callbackUrl, tampered), 400, 'invalid_sign_in_state');
    const garbage = `${STATE_COOKIE}=not-a-jwt`;
    await expectRefused(await finishSignIn(callbackUrl, garbage), 400, 'invalid_sign_in_state');
  });

  it('refuses a callback without the state cookie', async () => {
    const { authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'cookieless@example.com' });
    const body = await expectRefused(
      await finishSignIn(callbackUrl, undefined),
      400,
      'invalid_sign_in_state',
    );
    expect(body.detail).toMatch(/missing/);
  });

  it('refuses a replayed callback: the code works once', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'replay@example.com' });
    expect((await finishSignIn(callbackUrl, cookie)).status).toBe(200);
    await expectRefused(await finishSignIn(callbackUrl, cookie), 400, 'sign_in_failed');
  });

  it('reports a sign-in cancelled at the provider (error=access_denied)', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'x@example.com', cancel: true });
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(callbackUrl.searchParams.has('code')).toBe(false);
    const body = await expectRefused(await finishSignIn(callbackUrl, cookie), 400, 'sign_in_denied');
    expect(body.detail).toContain('access_denied');
    expect(body.provider_error).toBe('access_denied');
  });

  it('refuses an email the provider has not verified', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, {
      email: 'unverified@example.com',
      emailVerified: false,
    });
    await expectRefused(await finishSignIn(callbackUrl, cookie), 403, 'email_not_verified');
    expect(await usersWithEmail('unverified@example.com')).toHaveLength(0);
  });

  it('refuses a callback with state but no code', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = new URL(`${s.t.url}/auth/google/callback`);
    callbackUrl.searchParams.set('state', authorizeUrl.searchParams.get('state') as string);
    await expectRefused(await finishSignIn(callbackUrl, cookie), 400, 'sign_in_failed');
  });

  it('refuses a made-up code', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = new URL(`${s.t.url}/auth/google/callback`);
    callbackUrl.searchParams.set('code', 'made-up');
    callbackUrl.searchParams.set('state', authorizeUrl.searchParams.get('state') as string);
    await expectRefused(await finishSignIn(callbackUrl, cookie), 400, 'sign_in_failed');
  });

  it('documents both routes and the sign-in response in the OpenAPI document', async () => {
    const document = await json(await fetch(`${s.t.url}/openapi.json`));
    expect(document.paths['/auth/google'].get.responses).toHaveProperty('302');
    const callback = document.paths['/auth/google/callback'].get;
    expect(callback.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['code', 'state', 'error']),
    );
    const schema = callback.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties).sort()).toEqual([
      'access_token',
      'expires_in',
      'token_type',
      'user',
      'wallet',
    ]);
    expect(Object.keys(document.paths).some((path) => path.startsWith('/dev/'))).toBe(false);
  });
});

describe('the dev OpenID provider', () => {
  const base = () => s.provider.issuer;

  async function codeFor(email: string, verifier: string): Promise<string> {
    const authorize = new URL(`${base()}/authorize`);
    authorize.search = new URLSearchParams({
      client_id: s.provider.client.clientId,
      redirect_uri: s.provider.client.redirectUris[0] as string,
      response_type: 'code',
      scope: 'openid email',
      state: 'st',
      nonce: 'n-1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await answerAtProvider(authorize, { email });
    expect(callback.searchParams.get('state')).toBe('st');
    return callback.searchParams.get('code') as string;
  }

  function token(body: Record<string, string>, headers: Record<string, string> = {}) {
    return fetch(`${base()}/token`, { method: 'POST', body: new URLSearchParams(body), headers });
  }

  it('publishes its discovery document and keys', async () => {
    const discovery = await json(await fetch(`${base()}/.well-known/openid-configuration`));
    expect(discovery).toMatchObject({
      issuer: base(),
      authorization_endpoint: `${base()}/authorize`,
      token_endpoint: `${base()}/token`,
      userinfo_endpoint: `${base()}/userinfo`,
      jwks_uri: `${base()}/jwks`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    const jwks = await json(await fetch(`${base()}/jwks`));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('refuses an unknown client or redirect URI without redirecting', async () => {
    const unknown = await fetch(`${base()}/authorize?client_id=nobody&redirect_uri=http://evil.example/cb`, {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).error).toBe('invalid_request');
    const wrongRedirect = await fetch(
      `${base()}/authorize?client_id=${s.provider.client.clientId}&redirect_uri=http://evil.example/cb`,
      { redirect: 'manual' },
    );
    expect(wrongRedirect.status).toBe(400);
  });

  it('requires PKCE S256 and the openid scope, answering through the redirect URI', async () => {
    const params = new URLSearchParams({
      client_id: s.provider.client.clientId,
      redirect_uri: s.provider.client.redirectUris[0] as string,
      response_type: 'code',
      scope: 'openid',
      state: 'abc',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'plain',
    });
    const plain = await fetch(`${base()}/authorize?${params}`, { redirect: 'manual' });
    expect(plain.status).toBe(302);
    const location = new URL(plain.headers.get('location') as string);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('abc');
    params.set('code_challenge_method', 'S256');
    params.set('scope', 'email');
    const noOpenid = await fetch(`${base()}/authorize?${params}`, { redirect: 'manual' });
    expect(new URL(noOpenid.headers.get('location') as string).searchParams.get('error')).toBe(
      'invalid_scope',
    );
  });

  it('redeems a code once with client_secret_basic, checks the verifier, and serves userinfo', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const basic = `Basic ${Buffer.from(
      `${encodeURIComponent(s.provider.client.clientId)}:${encodeURIComponent(s.provider.client.clientSecret)}`,
    ).toString('base64')}`;
    const redirectUri = s.provider.client.redirectUris[0] as string;

    const wrongVerifier = await token(
      {
        grant_type: 'authorization_code',
        code: await codeFor('basic@example.com', verifier),
        redirect_uri: redirectUri,
        code_verifier: randomBytes(32).toString('base64url'),
      },
      { authorization: basic },
    );
    expect(wrongVerifier.status).toBe(400);
    expect((await json(wrongVerifier)).error).toBe('invalid_grant');

    const code = await codeFor('basic@example.com', verifier);
    const body = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    };
    const wrongSecret = await token(body, {
      authorization: `Basic ${Buffer.from(`${s.provider.client.clientId}:nope`).toString('base64')}`,
    });
    expect(wrongSecret.status).toBe(401);
    expect((await json(wrongSecret)).error).toBe('invalid_client');

    const granted = await token(body, { authorization: basic });
    expect(granted.status).toBe(200);
    expect(granted.headers.get('cache-control')).toBe('no-store');
    const tokens = await json(granted);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const claims = decodeJwt(tokens.id_token);
    expect(claims).toMatchObject({
      iss: base(),
      aud: s.provider.client.clientId,
      email: 'basic@example.com',
      email_verified: true,
      nonce: 'n-1',
    });
    expect(claims.sub).not.toContain('basic');

    const replay = await token(body, { authorization: basic });
    expect(replay.status).toBe(400);
    expect((await json(replay)).error).toBe('invalid_grant');

    const userinfo = await fetch(`${base()}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await json(userinfo)).toEqual({
      sub: claims.sub,
      email: 'basic@example.com',
      email_verified: true,
    });
    const forged = await fetch(`${base()}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.id_token}` },
    });
    expect(forged.status).toBe(401);
  });
});

// Last in the file: stopping the provider changes its signing key when it comes back.
describe('an unreachable identity provider', () => {
  it('turns a failed token exchange into 502 without a token', async () => {
    const { cookie, authorizeUrl } = await startSignIn(s.t.url);
    const callbackUrl = await answerAtProvider(authorizeUrl, { email: 'down@example.com' });
    await s.provider.stop();
    try {
      await expectRefused(await finishSignIn(callbackUrl, cookie), 502, 'identity_provider_error');
    } finally {
      await s.provider.start();
    }
  });

  it('answers 502 when discovery fails, and retries discovery once the provider is back', async () => {
    await s.provider.stop();
    const port = await freePort();
    const redirectUri = `http://127.0.0.1:${port}/auth/google/callback`;
    const fresh = await startTestApp({
      port,
      env: {
        GOOGLE_ISSUER: s.provider.issuer,
        GOOGLE_CLIENT_ID: s.provider.client.clientId,
        GOOGLE_CLIENT_SECRET: s.provider.client.clientSecret,
        GOOGLE_REDIRECT_URI: redirectUri,
      },
    });
    try {
      const down = await fetch(`${fresh.url}/auth/google`, { redirect: 'manual' });
      expect(down.headers.getSetCookie()).toEqual([]);
      await expectProblem(down, 502, 'identity_provider_error');
      await s.provider.start();
      const up = await fetch(`${fresh.url}/auth/google`, { redirect: 'manual' });
      expect(up.status).toBe(302);
    } finally {
      await fresh.close();
    }
  });

  it('gives up on a provider that accepts the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const signIn = createGoogleSignIn({
      issuer: `http://127.0.0.1:${port}`,
      clientId: 'client',
      clientSecret: 'secret',
      redirectUri: 'http://127.0.0.1:9/auth/google/callback',
      jwtSecret: new TextEncoder().encode(TEST_JWT_SECRET),
      timeoutSeconds: 0.5,
    });
    const started = Date.now();
    try {
      await expect(signIn.start()).rejects.toMatchObject({ status: 502, code: 'identity_provider_error' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('npm start without GOOGLE_CLIENT_ID', () => {
  it('serves the dev provider under /dev/oidc and signs in through it', async () => {
    const port = await freePort();
    const dev = await startTestApp({ port, env: { PORT: String(port) } });
    try {
      const discovery = await json(
        await fetch(`http://localhost:${port}/dev/oidc/.well-known/openid-configuration`),
      );
      expect(discovery.issuer).toBe(`http://localhost:${port}/dev/oidc`);
      // Started on 127.0.0.1, the flow hops to localhost, the redirect URI's host.
      const result = await signInThroughProvider(dev.url, 'dev@example.com', { name: 'Dev' });
      expect(result.user).toMatchObject({ email: 'dev@example.com', name: 'Dev' });
      expect(isValidWalletNumber(result.wallet.wallet_number)).toBe(true);
    } finally {
      await dev.close();
    }
  });
});
