import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { loadConfig } from '../src/config.ts';
import { configError } from './support/config.ts';
import { timeoutForStarts } from './support/service-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-config-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const SECRET = 'a-jwt-secret-that-is-at-least-32-bytes-long';
const BASE = { NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: SECRET };
const PRODUCTION = {
  NODE_ENV: 'production',
  DATA_DIR: dataDir,
  JWT_SECRET: SECRET,
  GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'google-secret',
  PAYSTACK_SECRET_KEY: 'sk_live_abc123',
};

function expectRefused(env: Record<string, string>, variable: string, message?: RegExp): void {
  const error = configError(env);
  expect(error.variable).toBe(variable);
  expect(error.message.startsWith(`${variable}: `)).toBe(true);
  expect(error.message).not.toContain('\n');
  if (message) expect(error.message).toMatch(message);
}

describe('configuration', () => {
  it('accepts no configuration at all outside production, with the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      jwtTtlSeconds: 3600,
      google: {
        clientId: undefined,
        issuer: 'https://accounts.google.com',
        redirectUri: 'http://localhost:3000/auth/google/callback',
      },
      paystack: { secretKey: undefined, baseUrl: 'https://api.paystack.co', callbackUrl: undefined },
      reconcile: { intervalMs: 300_000, minAgeMs: 600_000 },
      redisUrl: undefined,
      metricsToken: undefined,
      otlpEndpoint: undefined,
      webhooks: {
        retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
        timeoutMs: 15_000,
        allowPrivateUrls: true,
      },
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
    // The generated secret is kept, so tokens survive a restart.
    expect(loadConfig({ DATA_DIR: dataDir }).jwtSecret).toEqual(config.jwtSecret);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['NODE_ENV', 'staging', /development, production or test/],
    ['PORT', 'abc', /integer/],
    ['PORT', '70000', /integer/],
    ['DATABASE_URL', 'mysql://localhost/db', /postgres/],
    ['JWT_SECRET', 'too-short', /32 bytes/],
    ['JWT_TTL', 'forever', /duration/],
    ['JWT_TTL', '30s', /duration/],
    ['JWT_TTL', '8d', /duration/],
    ['GOOGLE_ISSUER', 'not a url', /absolute URL/],
    ['GOOGLE_REDIRECT_URI', 'ftp://example.com/cb', /https/],
    ['PAYSTACK_SECRET_KEY', 'pk_test_abc', /sk_test_/],
    ['PAYSTACK_BASE_URL', '/relative', /absolute URL/],
    ['RECONCILE_INTERVAL', '0s', /from 1s to 1h/],
    ['RECONCILE_INTERVAL', '2h', /from 1s to 1h/],
    ['RECONCILE_INTERVAL', '5 minutes', /duration/],
    ['RECONCILE_MIN_AGE', '25h', /from 0s to 24h/],
    ['WEBHOOK_RETRY_SCHEDULE', '5s,,5m', /comma-separated durations/],
    ['WEBHOOK_RETRY_SCHEDULE', '5s,2d', /comma-separated durations/],
    ['WEBHOOK_TIMEOUT', '90s', /from 1s to 60s/],
    ['WEBHOOK_ALLOW_PRIVATE_URLS', 'yes', /true or false/],
    ['REDIS_URL', 'http://127.0.0.1:6379', /redis:\/\//],
    ['REDIS_URL', 'redis://[bad', /redis:\/\//],
    ['METRICS_TOKEN', 'short', /at least 16/],
    ['METRICS_TOKEN', 'has a space in the middle', /without spaces/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://127.0.0.1:4317', /http:\/\/ or https:\/\//],
  ])('refuses %s=%s with a one-line message naming it', (variable, value, message) => {
    expectRefused({ ...BASE, [variable]: value }, variable, message);
  });

  it('reads the operations settings: Redis, the metrics token and the OTLP endpoint', () => {
    const config = loadConfig({
      ...BASE,
      REDIS_URL: 'redis://127.0.0.1:6379/2',
      METRICS_TOKEN: 'a-metrics-token-of-24-chars',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318/',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379/2',
      metricsToken: 'a-metrics-token-of-24-chars',
      otlpEndpoint: 'http://collector.internal:4318',
    });
  });

  it('runs the stand-ins only as a pair, in tests as in development', () => {
    for (const nodeEnv of ['test', 'development']) {
      expectRefused(
        { ...BASE, NODE_ENV: nodeEnv, PAYSTACK_SECRET_KEY: 'sk_test_abc' },
        'GOOGLE_CLIENT_ID',
        /pair/,
      );
      expectRefused(
        { ...BASE, NODE_ENV: nodeEnv, GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' },
        'PAYSTACK_SECRET_KEY',
        /pair/,
      );
    }
  });

  it('requires the Google client id and secret together', () => {
    expectRefused({ ...BASE, GOOGLE_CLIENT_ID: 'id' }, 'GOOGLE_CLIENT_SECRET');
    expectRefused({ ...BASE, GOOGLE_CLIENT_SECRET: 'secret' }, 'GOOGLE_CLIENT_ID');
  });

  it.each(['GOOGLE_ISSUER', 'PAYSTACK_BASE_URL', 'PAYSTACK_CALLBACK_URL'])(
    'refuses http:// for %s except on loopback',
    (variable) => {
      for (const url of ['http://example.com', 'http://10.0.0.1:8080', 'http://localhost.example.com']) {
        expectRefused({ ...BASE, [variable]: url }, variable, /https:\/\//);
      }
      for (const env of [BASE, PRODUCTION]) {
        for (const url of ['http://localhost:8080', 'http://127.0.0.1:9000/path', 'http://[::1]:7000']) {
          expect(() => loadConfig({ ...env, [variable]: url })).not.toThrow();
        }
        expect(() => loadConfig({ ...env, [variable]: 'https://example.com' })).not.toThrow();
      }
    },
  );

  it('reads the reconciler and webhook settings, and allows private webhook URLs in production only when told', () => {
    expect(loadConfig({ ...BASE, RECONCILE_INTERVAL: '30s', RECONCILE_MIN_AGE: '0s' }).reconcile).toEqual({
      intervalMs: 30_000,
      minAgeMs: 0,
    });
    expect(loadConfig({ ...BASE, WEBHOOK_RETRY_SCHEDULE: '1s, 2m,3h' }).webhooks.retryScheduleMs).toEqual([
      1_000, 120_000, 10_800_000,
    ]);
    expect(loadConfig(PRODUCTION).webhooks.allowPrivateUrls).toBe(false);
    expect(loadConfig({ ...PRODUCTION, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' }).webhooks.allowPrivateUrls).toBe(
      true,
    );
    expect(loadConfig({ ...BASE, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }).webhooks.allowPrivateUrls).toBe(true);
  });

  describe('NODE_ENV=production', () => {
    it('starts with real secrets and providers, and allows the embedded database', () => {
      const config = loadConfig(PRODUCTION);
      expect(config.nodeEnv).toBe('production');
      expect(config.databaseUrl).toBeUndefined();
    });

    it.each(['JWT_SECRET', 'GOOGLE_CLIENT_ID', 'PAYSTACK_SECRET_KEY'])(
      'refuses the dev default of %s',
      (variable) => {
        const env: Record<string, string> = { ...PRODUCTION };
        delete env[variable];
        if (variable === 'GOOGLE_CLIENT_ID') delete env.GOOGLE_CLIENT_SECRET;
        expectRefused(env, variable, /production/);
      },
    );
  });
});

function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/server.ts'],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env },
        timeout: START_TIMEOUT_MS,
      },
      (error, _stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr }),
    );
  });
}

describe('starting the server with a bad variable', { timeout: timeoutForStarts(1) }, () => {
  it.each([
    ['PORT', { NODE_ENV: 'test', JWT_SECRET: SECRET, PORT: 'abc' }],
    ['GOOGLE_ISSUER', { NODE_ENV: 'test', JWT_SECRET: SECRET, GOOGLE_ISSUER: 'http://accounts.google.com' }],
    ['PAYSTACK_SECRET_KEY', { NODE_ENV: 'production', GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 's' }],
    ['JWT_SECRET', { ...PRODUCTION, JWT_SECRET: '' }],
  ])('exits non-zero printing the one-line message naming %s', async (variable, env) => {
    const { code, stderr } = await runServer(env);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr.trim()).toMatch(new RegExp(`^Configuration error: ${variable}: [^\\n]+$`));
  });
});
