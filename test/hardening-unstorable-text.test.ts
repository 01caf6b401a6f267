import { connect } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { apiKeys, deposits } from '../src/db/schema.ts';
import { startTestApp, type TestApp, type TestUser } from './support/app.ts';
import { expectProblem, json } from './support/http.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';

let paystack: TestPaystack;
let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  paystack = await startTestPaystack();
  t = await startTestApp({
    env: { PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url },
  });
  user = await t.createUser();
});
afterAll(async () => {
  await t.close();
  await paystack.close();
});

/** JSON escapes as they travel: `\u0000` and a lone `\ud800` written into the body's text. */
const NUL = '\\u0000';
const LONE_SURROGATE = '\\ud800';

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** One raw HTTP/1.1 request; answers the status line's code. */
function rawStatus(request: string): Promise<number> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('text PostgreSQL cannot store is refused at the edge', () => {
  it.each([
    ['U+0000', NUL],
    ['a lone surrogate', LONE_SURROGATE],
  ])('refuses %s in any JSON string or key with 400, and stores nothing', async (_name, bad) => {
    const bodies: [string, string][] = [
      ['/keys/create', `{"name":"key${bad}","permissions":["read"],"expiry":"1D"}`],
      ['/keys/create', `{"name":"key","permissions":["read"],"expiry":"1D","${bad}":1}`],
      ['/wallet/transfer', `{"wallet_number":"${bad}","amount":100}`],
      ['/wallet/deposit', `{"amount":100,"note":"${bad}"}`],
      ['/keys/rollover', `{"expired_key_id":"${bad}","expiry":"1D"}`],
    ];
    for (const [path, body] of bodies) {
      const problem = await expectProblem(await post(path, body), 400, 'validation_failed');
      expect(problem.detail, `${path} ${body}`).toMatch(/U\+0000 or an unpaired surrogate/);
    }
    expect(await t.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([]);
  });

  it('refuses U+0000 and lone surrogates in path and query parameters with 400', async () => {
    for (const path of [
      '/auth/google/callback?code=a%00b&state=s',
      '/auth/google/callback?code=a&state=%ED%A0%80',
      '/wallet/transactions?cursor=%00',
      '/keys/%00',
      '/wallet/deposit/dep%00/status',
    ]) {
      const response = await fetch(`${t.url}${path}`, {
        method: path.startsWith('/keys/') ? 'DELETE' : 'GET',
        headers: user.auth,
        redirect: 'manual',
      });
      expect(response.status, path).toBe(400);
    }
  });

  it('refuses U+0000 in a header such as Idempotency-Key with 400', async () => {
    const body = `{"wallet_number":"${user.walletNumber}","amount":100}`;
    const status = await rawStatus(
      'POST /wallet/transfer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
        `Authorization: ${user.auth.authorization}\r\nContent-Type: application/json\r\n` +
        `Idempotency-Key: key\u0000one\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(status).toBe(400);
  });

  it.each([
    ['U+0000', NUL],
    ['a lone surrogate', LONE_SURROGATE],
  ])('acknowledges a signed webhook with %s with 200 and changes nothing', async (_name, bad) => {
    const payer = await t.createUser();
    const started = await post('/wallet/deposit', '{"amount":3000}', payer.auth);
    const { reference } = await json(started);
    for (const data of [
      `{"reference":"${reference}","amount":3000,"currency":"NGN","gateway_response":"ok${bad}"}`,
      `{"reference":"${reference}${bad}","amount":3000,"currency":"NGN"}`,
    ]) {
      const event = `{"event":"charge.success","data":${data}}`;
      const response = await fetch(`${t.url}/wallet/paystack/webhook`, {
        method: 'POST',
        headers: signedWebhookHeaders(event, paystack.secretKey),
        body: event,
      });
      expect(response.status).toBe(200);
    }
    const [deposit] = await t.db.select().from(deposits).where(eq(deposits.reference, reference));
    expect(deposit?.status).toBe('pending');
    expect((await json(await fetch(`${t.url}/wallet/balance`, { headers: payer.auth }))).balance).toBe(0);
  });
});
