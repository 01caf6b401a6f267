import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key-format.ts';
import { ConfigError } from '../src/config.ts';
import { createKeyAt, type Headers, keyAuth, sendTo } from './support/api-keys.ts';
import { startTestApp, type TestApp, testConfig } from './support/app.ts';
import { expectProblem } from './support/http.ts';

const balance = (headers: Headers, base: string) => sendTo(base, 'GET', '/wallet/balance', headers);

describe('rate limits', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({
      env: {
        RATE_LIMIT_WALLET_PER_MINUTE: '3',
        RATE_LIMIT_AUTH_PER_MINUTE: '2',
        RATE_LIMIT_FAILED_KEY_PER_MINUTE: '2',
      },
    });
  });
  afterAll(() => limited.close());

  async function expectRateLimited(response: Response): Promise<void> {
    await expectProblem(response, 429, 'rate_limited');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('limits each user and each key separately on wallet routes', async () => {
    const user = await limited.createUser();
    const other = await limited.createUser();
    for (let i = 0; i < 3; i++) {
      const response = await balance(user.auth, limited.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
    }
    await expectRateLimited(await balance(user.auth, limited.url));
    expect((await balance(other.auth, limited.url)).status).toBe(200);

    // A key has an allowance of its own: its owner has already spent two of theirs.
    const { api_key: key } = await createKeyAt(limited.url, other, { name: 'k' });
    for (let i = 0; i < 3; i++) expect((await balance(keyAuth(key), limited.url)).status).toBe(200);
    await expectRateLimited(await balance(keyAuth(key), limited.url));
  });

  it('limits /auth/* per IP address', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await fetch(`${limited.url}/auth/google/callback`)).status).toBeLessThan(429);
    }
    await expectRateLimited(await fetch(`${limited.url}/auth/google/callback`));
  });

  it('counts failed key attempts per IP address and then refuses further failed ones from it', async () => {
    const user = await limited.createUser();
    const { api_key: key } = await createKeyAt(limited.url, user, { name: 'k' });
    await expectProblem(await balance(keyAuth('sk_test_nope'), limited.url), 401, 'invalid_api_key');
    await expectProblem(
      await balance(keyAuth(generateApiKey('test').key), limited.url),
      401,
      'invalid_api_key',
    );
    await expectRateLimited(await balance(keyAuth(generateApiKey('test').key), limited.url));
    // SPEC: a valid key is never refused because others failed from the same address.
    expect((await balance(keyAuth(key), limited.url)).status).toBe(200);
    // Signed-in users from the same address are not affected.
    expect((await balance(user.auth, limited.url)).status).toBe(200);
  });

  it('refuses a limit that is not a positive integer, naming the variable', () => {
    for (const [variable, value] of [
      ['RATE_LIMIT_WALLET_PER_MINUTE', '0'],
      ['RATE_LIMIT_AUTH_PER_MINUTE', 'lots'],
      ['RATE_LIMIT_FAILED_KEY_PER_MINUTE', '1.5'],
    ] as const) {
      let error: unknown;
      try {
        testConfig({ [variable]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe(variable);
      expect((error as ConfigError).message).toContain(variable);
    }
  });

  it('defaults to limits a benchmark does not reach', () => {
    expect(testConfig().rateLimits).toEqual({
      walletPerMinute: 30_000,
      authPerMinute: 300,
      failedKeyPerMinute: 120,
    });
  });
});
