import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { configError } from './support/config.ts';
import { runServiceToExit } from './support/service-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-hardening-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const PRODUCTION = {
  NODE_ENV: 'production',
  DATA_DIR: dataDir,
  JWT_SECRET: randomBytes(32).toString('base64'),
  GOOGLE_CLIENT_ID: 'client.apps.googleusercontent.com',
  GOOGLE_CLIENT_SECRET: 'google-secret',
  GOOGLE_REDIRECT_URI: 'https://wallet.example.com/auth/google/callback',
  PAYSTACK_SECRET_KEY: 'sk_live_abc123',
};

function runServer(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return runServiceToExit({ DATA_DIR: dataDir, PORT: '0', ...env });
}

describe('the dev stand-ins come only as a pair', () => {
  it('refuses Google configured without Paystack, and Paystack without Google, outside production', () => {
    const google = configError({
      DATA_DIR: dataDir,
      GOOGLE_CLIENT_ID: 'id',
      GOOGLE_CLIENT_SECRET: 'secret',
    });
    expect(google.variable).toBe('PAYSTACK_SECRET_KEY');
    expect(google.message).toMatch(/GOOGLE_CLIENT_ID is set.*pair/);
    expect(google.message).not.toContain('\n');

    const paystack = configError({ DATA_DIR: dataDir, PAYSTACK_SECRET_KEY: 'sk_test_abc' });
    expect(paystack.variable).toBe('GOOGLE_CLIENT_ID');
    expect(paystack.message).toMatch(/PAYSTACK_SECRET_KEY is set.*pair/);
  });

  it('starts with both stand-ins (neither set) or with both providers', () => {
    expect(loadConfig({ DATA_DIR: dataDir })).toMatchObject({
      google: { clientId: undefined },
      paystack: { secretKey: undefined },
    });
    expect(
      loadConfig({
        DATA_DIR: dataDir,
        GOOGLE_CLIENT_ID: 'id',
        GOOGLE_CLIENT_SECRET: 's',
        PAYSTACK_SECRET_KEY: 'sk_test_a',
      }),
    ).toMatchObject({ google: { clientId: 'id' }, paystack: { secretKey: 'sk_test_a' } });
  });

  it('refuses the start of a half-configured process with one line, before the simulator can mint money', async () => {
    const { code, stderr } = await runServer({ GOOGLE_CLIENT_ID: 'id', GOOGLE_CLIENT_SECRET: 'secret' });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(
      /^Configuration error: PAYSTACK_SECRET_KEY: is required because GOOGLE_CLIENT_ID is set[^\n]+$/,
    );
  });
});

describe('JWT_SECRET in production', () => {
  it.each([
    ['random base64', randomBytes(32).toString('base64')],
    ['random base64url', randomBytes(48).toString('base64url')],
    ['random hex', randomBytes(32).toString('hex')],
  ])('accepts %s of at least 32 bytes', (_kind, secret) => {
    expect(loadConfig({ ...PRODUCTION, JWT_SECRET: secret }).jwtSecret).toEqual(
      new TextEncoder().encode(secret),
    );
  });

  it.each([
    ["'a' × 32", 'a'.repeat(32)],
    ["'a' × 64", 'a'.repeat(64)],
    ['0123… as hex', '0123456789abcdef'.repeat(4)],
    ['ascending bytes as hex', Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex')],
    ['an alphabet run as base64', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop'],
    ['a repeated random block', randomBytes(4).toString('hex').repeat(8)],
    ['24 random bytes', randomBytes(24).toString('base64')],
    ['a passphrase', 'correct horse battery staple, correct horse'],
    ['16 random bytes as hex (32 characters)', randomBytes(16).toString('hex')],
  ])('refuses %s', (_kind, secret) => {
    const error = configError({ ...PRODUCTION, JWT_SECRET: secret });
    expect(error.variable).toBe('JWT_SECRET');
    expect(error.message).toMatch(/^JWT_SECRET: [^\n]+$/);
  });

  it('keeps accepting any 32-byte text outside production', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, JWT_SECRET: 'a'.repeat(32) }),
    ).not.toThrow();
    expect(() =>
      loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, JWT_SECRET: 'a'.repeat(32) }),
    ).not.toThrow();
  });
});

describe('production refusals', () => {
  it('name every missing or wrong variable in one message', () => {
    const error = configError({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: 'abc', JWT_TTL: 'forever' });
    for (const variable of ['PORT', 'JWT_TTL', 'GOOGLE_CLIENT_ID', 'PAYSTACK_SECRET_KEY', 'JWT_SECRET']) {
      expect(error.message).toMatch(new RegExp(`(^|; )${variable}: `));
    }
    expect(error.message).not.toContain('\n');
  });

  it('are printed whole by a refused start, on one line', async () => {
    const { code, stderr } = await runServer({ NODE_ENV: 'production', RATE_LIMIT_AUTH_PER_MINUTE: '0' });
    expect(code).toBe(1);
    const line = stderr.trim();
    expect(line).not.toContain('\n');
    for (const variable of [
      'RATE_LIMIT_AUTH_PER_MINUTE',
      'GOOGLE_CLIENT_ID',
      'PAYSTACK_SECRET_KEY',
      'JWT_SECRET',
    ]) {
      expect(line).toContain(`${variable}: `);
    }
  });

  it('warn when GOOGLE_REDIRECT_URI is a localhost URL, and only in production', () => {
    expect(loadConfig(PRODUCTION).warnings).toEqual([]);
    const local = { ...PRODUCTION, GOOGLE_REDIRECT_URI: 'http://localhost:3000/auth/google/callback' };
    expect(loadConfig(local).warnings).toEqual([
      expect.stringMatching(/^GOOGLE_REDIRECT_URI is http:\/\/localhost/),
    ]);
    const { GOOGLE_REDIRECT_URI: _unset, ...defaulted } = PRODUCTION;
    expect(loadConfig(defaulted).warnings).toHaveLength(1);
    expect(loadConfig({ ...local, NODE_ENV: 'development' }).warnings).toEqual([]);
  });
});
