import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key-format.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';

const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function start(env: Record<string, string>, logLines?: string[]): Promise<TestApp> {
  const logger =
    logLines &&
    loggerOptions(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(chunk.toString());
          done();
        },
      }),
    );
  const app = await startTestApp({ env, deps: logger ? { logger } : {} });
  apps.push(app);
  return app;
}

async function validKey(t: TestApp): Promise<string> {
  const user = await t.createUser();
  const response = await fetch(`${t.url}/keys/create`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'proxy', permissions: ['read'], expiry: '1D' }),
  });
  expect(response.status).toBe(201);
  return (await json(response)).api_key;
}

const balance = (t: TestApp, key: string, forwardedFor?: string) =>
  fetch(`${t.url}/wallet/balance`, {
    headers: { 'x-api-key': key, ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) },
  });

describe('failed API key attempts', () => {
  it('never lock out a valid key from the same address, after 120+ failures at the default limit', async () => {
    const t = await start({});
    const key = await validKey(t);
    for (let i = 0; i < 120; i++) {
      await expectProblem(await balance(t, generateApiKey('test').key), 401, 'invalid_api_key');
    }
    const throttled = await balance(t, 'sk_test_nope');
    await expectProblem(throttled, 429, 'rate_limited');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 5; i++) expect((await balance(t, key)).status).toBe(200);
    await expectProblem(await balance(t, 'sk_test_nope'), 429, 'rate_limited');
  });
});

describe('TRUST_PROXY', () => {
  it('unset: X-Forwarded-For is ignored, every failure counts against the TCP peer', async () => {
    const t = await start({ RATE_LIMIT_FAILED_KEY_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i++) {
      await expectProblem(await balance(t, 'sk_test_nope', `203.0.113.${i + 1}`), 401, 'invalid_api_key');
    }
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.99'), 429, 'rate_limited');
  });

  it('set to the proxy: its X-Forwarded-For decides the counted address, and the log shows the client', async () => {
    const lines: string[] = [];
    const t = await start({ RATE_LIMIT_FAILED_KEY_PER_MINUTE: '3', TRUST_PROXY: '127.0.0.1' }, lines);
    for (let i = 0; i < 3; i++) {
      await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.7'), 401, 'invalid_api_key');
    }
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.7'), 429, 'rate_limited');
    // Another client behind the same proxy has its own allowance.
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.8'), 401, 'invalid_api_key');
    const logged = lines.map((line) => JSON.parse(line)).filter((line) => line.req);
    expect(logged.map((line) => line.req.remoteAddress)).toContain('203.0.113.8');
  });

  it('set to another proxy: a header from an untrusted peer is ignored', async () => {
    const t = await start({ RATE_LIMIT_FAILED_KEY_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.0/8' });
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.1'), 401, 'invalid_api_key');
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.2'), 401, 'invalid_api_key');
    await expectProblem(await balance(t, 'sk_test_nope', '203.0.113.3'), 429, 'rate_limited');
  });

  it('accepts true, a hop count, and addresses or CIDRs; refuses anything else naming the variable', () => {
    const env = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32), DATA_DIR: '/tmp/wallet-test-data' };
    expect(loadConfig(env).trustProxy).toBe(false);
    expect(loadConfig({ ...env, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...env, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...env, TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'loopback',
    ]);
    for (const value of ['yes', '0', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1,', '1.2.3.4/8/1']) {
      let error: unknown;
      try {
        loadConfig({ ...env, TRUST_PROXY: value });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variable).toBe('TRUST_PROXY');
    }
  });
});
