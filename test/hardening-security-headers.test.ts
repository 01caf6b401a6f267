import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { hasChromium, launchChromium } from './support/browser.ts';
import { json } from './support/http.ts';

let t: TestApp;
let alice: TestUser;
let tls: TlsServer;
let httpsUrl: string;
const certDir = mkdtempSync(join(tmpdir(), 'wallet-tls-'));

beforeAll(async () => {
  t = await startTestApp();
  alice = await t.createUser('headers@example.com');
  // https in front of the very same app: TLS sockets handed to its HTTP server, so
  // `request.protocol` is https as it is when the service terminates TLS itself.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  tls = createTlsServer(
    { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) },
    (socket) => t.app.server.emit('connection', socket),
  );
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  const address = tls.address();
  httpsUrl = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => tls.close(resolve));
  rmSync(certDir, { recursive: true, force: true });
  await t.close();
});

function httpsGet(path: string): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(`${httpsUrl}${path}`, { rejectUnauthorized: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.headers));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('security headers (SPEC "Limits and hardening")', () => {
  it('sends nosniff, a CSP that forbids framing, and X-Frame-Options on every response', async () => {
    const responses = [
      await fetch(`${t.url}/healthz`),
      await fetch(`${t.url}/docs`),
      await fetch(`${t.url}/openapi.json`),
      await fetch(`${t.url}/no/such/route`),
      await fetch(`${t.url}/wallet/balance`, { method: 'POST' }),
      await fetch(`${t.url}/wallet/balance`),
      await fetch(`${t.url}/wallet/balance`, { headers: alice.auth }),
      await fetch(`${t.url}/auth/google`, { redirect: 'manual' }),
      await fetch(`${t.url}/wallet/transfer`, {
        method: 'POST',
        headers: { ...alice.auth, 'content-type': 'application/json' },
        body: '{',
      }),
    ];
    for (const response of responses) {
      const where = `${response.status} ${response.url}`;
      expect(response.headers.get('x-content-type-options'), where).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), where).toBe('DENY');
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, where).toContain("frame-ancestors 'none'");
      expect(csp, where).toContain("default-src 'self'");
      expect(csp, where).toContain("object-src 'none'");
      expect(response.headers.get('strict-transport-security'), where).toBeNull();
      await response.arrayBuffer();
    }
  });

  it('makes every response of a route that takes credentials Cache-Control: no-store, refusals included', async () => {
    const deposit = await fetch(`${t.url}/wallet/deposit`, {
      method: 'POST',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 5000 }),
    });
    const reference: string = (await json(deposit)).reference;
    const authenticated: [string, RequestInit][] = [
      ['/wallet/balance', { headers: alice.auth }],
      ['/wallet/balance', {}],
      ['/wallet/transactions', { headers: alice.auth }],
      ['/keys', { headers: alice.auth }],
      [`/wallet/deposit/${reference}/status`, { headers: alice.auth }],
      ['/wallet/deposit/no-such-reference/status', { headers: alice.auth }],
      ['/wallet/balance', { headers: { 'x-api-key': 'sk_live_not_a_key' } }],
    ];
    expect(deposit.headers.get('cache-control')).toBe('no-store');
    for (const [path, init] of authenticated) {
      const response = await fetch(`${t.url}${path}`, init);
      expect(response.headers.get('cache-control'), `${response.status} ${path}`).toBe('no-store');
      await response.arrayBuffer();
    }
  });

  it('sends HSTS when the service is reached over https, and only then', async () => {
    for (const path of ['/healthz', '/wallet/balance', '/no/such/route']) {
      const headers = await httpsGet(path);
      expect(headers['strict-transport-security'], path).toMatch(/^max-age=\d{8,}; includeSubDomains$/);
      expect(headers['x-content-type-options']).toBe('nosniff');
    }
    const plain = await fetch(`${t.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it.skipIf(!hasChromium)(
    'renders Swagger UI at /docs under its CSP, with no violation',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/content security policy/i.test(message.text())) violations.push(message.text());
        });
        await page.goto(`${t.url}/docs`);
        await page
          .locator('.swagger-ui .info .title')
          .getByText('Wallet service')
          .waitFor({ timeout: 15_000 });
        await page.locator('.opblock').first().waitFor();
        expect(violations).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
