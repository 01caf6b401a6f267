import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfTokenOf } from '../src/auth/session.ts';
import { users, wallets } from '../src/db/schema.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import { fundWallet } from './support/ledger.ts';
import {
  answerAtProvider,
  finishSignIn,
  type SignInTestSetup,
  startAppWithProvider,
} from './support/sign-in.ts';

// The web wallet's session (SPEC "The web wallet"): the callback of a flow started at /auth/web
// sets an HttpOnly, SameSite=Strict cookie holding the service's JWT; state-changing requests made
// with it need the session's CSRF token and must come from the service's own origin. Bearer and
// x-api-key requests are as before.

const SESSION = 'wallet_session';

let setup: SignInTestSetup;
let t: TestApp;
/** Everything the app logs, at its most verbose, to show no session or CSRF token is in it. */
let log = '';
/** Every session token and CSRF token the tests send or receive. */
const secretsSeen = new Set<string>();

beforeAll(async () => {
  setup = await startAppWithProvider({
    // So a test can say the request came over https, as a TLS-terminating proxy does.
    env: { TRUST_PROXY: 'true' },
    deps: {
      logger: loggerOptions(
        'trace',
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            log += chunk.toString();
            done();
          },
        }),
      ),
    },
  });
  t = setup.t;
});

afterAll(() => setup.close());

/** The cookies a response sets, by name, each with its attributes as sent. */
function setCookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((header) => [header.split('=')[0] as string, header]));
}

/** The cookies a response sets, as one `Cookie` header value. */
function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0] as string)
    .join('; ');
}

/** Signs in through the provider from `startPath`; returns the callback's response. */
async function signInFrom(startPath: string, email: string, headers: Record<string, string> = {}) {
  const start = await fetch(`${t.url}${startPath}`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const callback = await answerAtProvider(new URL(start.headers.get('location') as string), { email });
  return fetch(callback, { headers: { cookie: cookieHeader(start), ...headers }, redirect: 'manual' });
}

/** Headers of a bodiless request the web wallet's own page makes with the session cookie `token`. */
function fromThePage(token: string, extra: Record<string, string> = {}): Record<string, string> {
  secretsSeen.add(token);
  secretsSeen.add(csrfTokenOf(token, t.config.jwtSecret));
  return {
    cookie: `${SESSION}=${token}`,
    'x-csrf-token': csrfTokenOf(token, t.config.jwtSecret),
    origin: t.url,
    'sec-fetch-site': 'same-origin',
    ...extra,
  };
}

describe('signing in for the web wallet', () => {
  it('a flow started at /auth/web ends with the session cookie and a redirect to the page', async () => {
    const response = await signInFrom('/auth/web', 'web-cookie@example.com');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
    const cookie = setCookies(response).get(SESSION) as string;
    secretsSeen.add((cookie.split(';')[0] as string).slice(SESSION.length + 1));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=3600/);
    expect(cookie).not.toMatch(/Secure/i);
    // The token travels in the cookie only: no body, no URL.
    expect(await response.text()).toBe('');
    const session = await fetch(`${t.url}/auth/session`, { headers: { cookie: cookieHeader(response) } });
    expect(await json(session)).toMatchObject({
      user: { email: 'web-cookie@example.com' },
      wallet_number: expect.stringMatching(/^\d{13}$/),
      csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it('over https the cookie is Secure and __Host- prefixed, so no sibling host can plant one', async () => {
    const response = await signInFrom('/auth/web', 'web-https@example.com', { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(302);
    expect(setCookies(response).has(SESSION)).toBe(false);
    const cookie = setCookies(response).get(`__Host-${SESSION}`) as string;
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    const token = (cookie.split(';')[0] as string).slice(`__Host-${SESSION}=`.length);
    secretsSeen.add(token);
    const overHttps = { 'x-forwarded-proto': 'https' };
    const session = await fetch(`${t.url}/auth/session`, {
      headers: { ...overHttps, cookie: `__Host-${SESSION}=${token}` },
    });
    expect(session.status).toBe(200);
    // Over https the unprefixed name is not the session's: a cookie planted under it is ignored.
    await expectProblem(
      await fetch(`${t.url}/auth/session`, { headers: { ...overHttps, cookie: `${SESSION}=${token}` } }),
      401,
      'unauthenticated',
    );
  });

  it('the callback of a flow started at /auth/google still answers JSON and sets no session', async () => {
    const response = await signInFrom('/auth/google', 'api-client@example.com');
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({
      token_type: 'Bearer',
      user: { email: 'api-client@example.com' },
    });
    expect(setCookies(response).has(SESSION)).toBe(false);
  });

  it('an API client starting after a web start gets JSON: /auth/google clears the web flag', async () => {
    const web = await fetch(`${t.url}/auth/web`, { redirect: 'manual' });
    expect(setCookies(web).get('wallet_sign_in_web')).toBeDefined();
    const api = await fetch(`${t.url}/auth/google`, { redirect: 'manual' });
    expect(setCookies(api).get('wallet_sign_in_web')).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });

  it('a refused web sign-in returns to the page with the reason’s code, not a token', async () => {
    const start = await fetch(`${t.url}/auth/web`, { redirect: 'manual' });
    const callback = await answerAtProvider(new URL(start.headers.get('location') as string), {
      email: 'cancels@example.com',
      cancel: true,
    });
    const response = await finishSignIn(callback, cookieHeader(start));
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/?sign_in_error=sign_in_denied');
    expect(setCookies(response).has(SESSION)).toBe(false);
  });
});

describe('requests made with the session cookie', () => {
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    alice = await t.createUser();
    bob = await t.createUser();
    await fundWallet(t.db, alice.id, 10_000);
  });

  const balanceOf = async (user: TestUser) =>
    (await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }))).balance;
  const transfer = (headers: Record<string, string>, amount = 100) =>
    fetch(`${t.url}/wallet/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ wallet_number: bob.walletNumber, amount }),
    });

  it('read like a signed-in user’s, with no CSRF token needed to read', async () => {
    const response = await fetch(`${t.url}/wallet/balance`, {
      headers: { cookie: `${SESSION}=${alice.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await json(response)).toMatchObject({ balance: 10_000, wallet_number: alice.walletNumber });
  });

  it('move money with the session’s CSRF token from the service’s own origin', async () => {
    const response = await transfer(fromThePage(alice.token));
    expect(response.status).toBe(200);
    expect(await balanceOf(bob)).toBe(100);
  });

  it('are refused when a second session cookie was planted (by a sibling host, for a narrower path), and nothing moves', async () => {
    const before = await balanceOf(bob);
    const planted = fromThePage(bob.token, { cookie: `${SESSION}=${bob.token}; ${SESSION}=${alice.token}` });
    await expectProblem(await transfer(planted), 401, 'invalid_token');
    await expectProblem(
      await fetch(`${t.url}/auth/session`, {
        headers: { cookie: `${SESSION}=${bob.token}; ${SESSION}=${alice.token}` },
      }),
      401,
      'invalid_token',
    );
    expect(await balanceOf(bob)).toBe(before);
  });

  it('are refused without the CSRF token, and nothing moves', async () => {
    const { 'x-csrf-token': _, ...withoutToken } = fromThePage(alice.token);
    await expectProblem(await transfer(withoutToken), 403, 'csrf_refused');
    expect(await balanceOf(bob)).toBe(100);
  });

  it('are refused with another session’s token, or a token of the wrong shape', async () => {
    const other = fromThePage(bob.token)['x-csrf-token'] as string;
    await expectProblem(
      await transfer(fromThePage(alice.token, { 'x-csrf-token': other })),
      403,
      'csrf_refused',
    );
    await expectProblem(
      await transfer(fromThePage(alice.token, { 'x-csrf-token': 'x' })),
      403,
      'csrf_refused',
    );
    expect(await balanceOf(bob)).toBe(100);
  });

  it('are refused from another origin or site, even with the token', async () => {
    const elsewhere = fromThePage(alice.token, { origin: 'https://evil.example' });
    await expectProblem(await transfer(elsewhere), 403, 'csrf_refused');
    const crossSite = fromThePage(alice.token, { 'sec-fetch-site': 'cross-site' });
    await expectProblem(await transfer(crossSite), 403, 'csrf_refused');
    const sameSite = fromThePage(alice.token, { 'sec-fetch-site': 'same-site' });
    await expectProblem(await transfer(sameSite), 403, 'csrf_refused');
    expect(await balanceOf(bob)).toBe(100);
  });

  it('guard DELETE too: revoking a key needs the token', async () => {
    const created = await json(
      await fetch(`${t.url}/keys/create`, {
        method: 'POST',
        headers: fromThePage(alice.token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ name: 'web', permissions: ['read'], expiry: '1D' }),
      }),
    );
    expect(created.api_key).toMatch(/^sk_test_/);
    const { 'x-csrf-token': _, ...withoutToken } = fromThePage(alice.token);
    const refused = await fetch(`${t.url}/keys/${created.id}`, { method: 'DELETE', headers: withoutToken });
    await expectProblem(refused, 403, 'csrf_refused');
    const revoked = await fetch(`${t.url}/keys/${created.id}`, {
      method: 'DELETE',
      headers: fromThePage(alice.token),
    });
    expect(revoked.status).toBe(204);
  });

  it('leave Bearer and x-api-key requests as they were, a stray cookie notwithstanding', async () => {
    const bearer = await transfer({
      ...alice.auth,
      cookie: `${SESSION}=${bob.token}`,
      'content-type': 'application/json',
      origin: 'https://evil.example',
    });
    expect(bearer.status).toBe(200);
    expect(await balanceOf(bob)).toBe(200);
    const key = await json(
      await fetch(`${t.url}/keys/create`, {
        method: 'POST',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'service', permissions: ['transfer'], expiry: '1D' }),
      }),
    );
    const withKey = await transfer({
      'x-api-key': key.api_key,
      cookie: `${SESSION}=${bob.token}`,
      'content-type': 'application/json',
    });
    expect(withKey.status).toBe(200);
    expect(await balanceOf(bob)).toBe(300);
  });

  it('GET /auth/session gives the CSRF token only to a session; nothing without credentials', async () => {
    const session = await json(
      await fetch(`${t.url}/auth/session`, { headers: { cookie: `${SESSION}=${alice.token}` } }),
    );
    expect(session.csrf_token).toBe(csrfTokenOf(alice.token, t.config.jwtSecret));
    expect(session).toMatchObject({ user: { id: alice.id }, wallet_number: alice.walletNumber });
    expect((await json(await fetch(`${t.url}/auth/session`, { headers: alice.auth }))).csrf_token).toBeNull();
    await expectProblem(await fetch(`${t.url}/auth/session`), 401, 'unauthenticated');
    await expectProblem(
      await fetch(`${t.url}/auth/session`, { headers: { cookie: `${SESSION}=not-a-token` } }),
      401,
      'invalid_token',
    );
  });

  it('of a deleted user are refused like the deleted user’s token', async () => {
    const gone = await t.createUser();
    await t.db.delete(wallets).where(eq(wallets.userId, gone.id));
    await t.db.delete(users).where(eq(users.id, gone.id));
    const cookie = { cookie: `${SESSION}=${gone.token}` };
    await expectProblem(await fetch(`${t.url}/wallet/balance`, { headers: cookie }), 401, 'invalid_token');
    await expectProblem(await fetch(`${t.url}/auth/session`, { headers: cookie }), 401, 'invalid_token');
  });
});

describe('signing out', () => {
  it('clears the cookie, with the session’s CSRF token', async () => {
    const user = await t.createUser();
    const { 'x-csrf-token': _, ...withoutToken } = fromThePage(user.token);
    const refused = await fetch(`${t.url}/auth/sign-out`, { method: 'POST', headers: withoutToken });
    await expectProblem(refused, 403, 'csrf_refused');
    const response = await fetch(`${t.url}/auth/sign-out`, {
      method: 'POST',
      headers: fromThePage(user.token),
    });
    expect(response.status).toBe(204);
    expect(setCookies(response).get(SESSION)).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });
});

describe('the page itself', () => {
  it('is served at / under a Content-Security-Policy without inline scripts', async () => {
    const response = await fetch(`${t.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = response.headers.get('content-security-policy') as string;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline[^;]*;?.*script-src|script-src[^;]*unsafe-inline/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/web/main.js"></script>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves its modules with the packages’ bare names rewritten to the service’s own URLs', async () => {
    const main = await fetch(`${t.url}/web/main.js`);
    expect(main.headers.get('content-type')).toMatch(/^text\/javascript/);
    const source = await main.text();
    expect(source).toContain("from '/web/vendor/preact.js'");
    expect(source).not.toMatch(/from ['"]preact['"]/);
    const hooks = await (await fetch(`${t.url}/web/vendor/preact-hooks.js`)).text();
    expect(hooks).toContain('from"/web/vendor/preact.js"');
    expect((await fetch(`${t.url}/web/vendor/htm.js`)).status).toBe(200);
    await expectProblem(await fetch(`${t.url}/web/../package.json`), 404, 'not_found');
    await expectProblem(await fetch(`${t.url}/web/nothing.js`), 404, 'not_found');
  });
});

describe('rate limits', () => {
  it('count a session’s requests in the signed-in user’s own allowance, as a Bearer token’s', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_WALLET_PER_MINUTE: '3' } });
    try {
      const user = await limited.createUser();
      const cookie = { cookie: `${SESSION}=${user.token}` };
      const balance = (headers: Record<string, string>) =>
        fetch(`${limited.url}/wallet/balance`, { headers });
      expect((await balance(user.auth)).status).toBe(200);
      expect((await balance(cookie)).status).toBe(200);
      expect((await balance(user.auth)).status).toBe(200);
      await expectProblem(await balance(cookie), 429, 'rate_limited');
      await expectProblem(await balance(user.auth), 429, 'rate_limited');
    } finally {
      await limited.close();
    }
  });
});

describe('the log', () => {
  it('holds no session cookie or CSRF token, though every request above was logged', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toContain('/wallet/transfer');
    expect(secretsSeen.size).toBeGreaterThan(4);
    for (const secret of secretsSeen) expect(log).not.toContain(secret);
  });
});
