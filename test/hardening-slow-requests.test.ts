import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { issueAccessToken } from '../src/auth/jwt.ts';
import { signInUser } from '../src/auth/users.ts';
import { ConfigError } from '../src/config.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { PAYSTACK_WEBHOOK_PATH } from '../src/routes/paystack-webhook.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { expectProblem } from './support/http.ts';
import { nextResponseHead, openSocket, untilClosed } from './support/raw-http.ts';

// SPEC's deadlines (10 s, 30 s, 5 s) shortened through buildApp's deps, so the tests need not wait.
const deadlines = { headersTimeoutMs: 600, requestTimeoutMs: 2_500, keepAliveTimeoutMs: 400 };
const MAX_CONNECTIONS = 4;

let database: TestDatabase;
let app: FastifyInstance;
let url: string;
let auth: { authorization: string };
let log = '';
/** Bytes the server read from each connection, recorded as it closes. */
const serverBytesRead: number[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig({ MAX_CONNECTIONS: String(MAX_CONNECTIONS) });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  app = await buildApp({
    config,
    database: database.handle,
    deadlines,
    logger: loggerOptions('debug', stream),
  });
  app.server.on('connection', (socket: Socket) =>
    socket.on('close', () => serverBytesRead.push(socket.bytesRead)),
  );
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  const user = await signInUser(database.handle.db, {
    subject: 'sub-slow',
    email: 'slow@example.com',
    name: null,
  });
  const { token } = await issueAccessToken(user.id, config.jwtSecret, config.jwtTtlSeconds);
  auth = { authorization: `Bearer ${token}` };
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

describe('stalled and slow requests (SPEC "Limits and hardening")', () => {
  it('cuts off a body that never finishes at the request deadline, with 408', async () => {
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 10_000);
    socket.write(
      head('POST', '/wallet/transfer', {
        ...auth,
        'content-type': 'application/json',
        'content-length': 1000,
      }),
    );
    socket.write('{"wallet_number":');
    const end = await closed;
    expect(end.received).toMatch(/^HTTP\/1\.1 408/);
    expect(end.afterMs).toBeGreaterThanOrEqual(deadlines.requestTimeoutMs - 100);
    expect(end.afterMs).toBeLessThan(deadlines.requestTimeoutMs + 3_000);
  });

  it('cuts off a body that trickles in faster than the socket timeout but never ends', async () => {
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 10_000);
    socket.write(
      head('POST', '/wallet/transfer', {
        ...auth,
        'content-type': 'application/json',
        'content-length': 10_000,
      }),
    );
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    const end = await closed.finally(() => clearInterval(drip));
    expect(end.afterMs).toBeLessThan(deadlines.requestTimeoutMs + 3_000);
  });

  it('cuts off headers that never finish at the header deadline', async () => {
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 10_000);
    socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ');
    const drip = setInterval(() => socket.writable && socket.write('a'), 100);
    const end = await closed.finally(() => clearInterval(drip));
    expect(end.afterMs).toBeGreaterThanOrEqual(deadlines.headersTimeoutMs - 100);
    expect(end.afterMs).toBeLessThan(deadlines.requestTimeoutMs - 300);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 10_000);
    socket.write(head('GET', '/healthz'));
    const end = await closed;
    expect(end.received).toMatch(/^HTTP\/1\.1 200/);
    expect(end.received.toLowerCase()).toContain('keep-alive: timeout=');
    expect(end.afterMs).toBeLessThan(deadlines.requestTimeoutMs - 300);
  });

  it('closes connections beyond MAX_CONNECTIONS as they arrive, and takes new ones once others close', async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) {
        const socket = await openSocket(url);
        socket.on('error', () => {});
        socket.write('GET /healthz HTTP/1.1\r\n');
        held.push(socket);
      }
      // Let the server register every held connection before the next arrives.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refused = await openSocket(url);
      refused.write(head('GET', '/healthz'));
      const end = await untilClosed(refused, 3_000);
      expect(end.received).toBe('');
      expect(end.afterMs).toBeLessThan(1_000);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers 404 to a 1 MiB body on an unknown route before reading it, and closes the connection', async () => {
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 5_000);
    const size = 1024 * 1024;
    const response = nextResponseHead(socket, 3_000);
    const before = serverBytesRead.length;
    socket.write(
      head('POST', '/no/such/route', { 'content-type': 'application/json', 'content-length': size }),
    );
    socket.write('x'.repeat(1024));
    // The answer comes while the client has sent 1 KiB of the 1 MiB it announced.
    const answered = await response;
    expect(answered).toMatch(/^HTTP\/1\.1 404/);
    expect(answered.toLowerCase()).toContain('connection: close');
    // The rest is never read: the server has closed the connection.
    socket.write('x'.repeat(size - 1024));
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const read = serverBytesRead.slice(before);
    expect(read.length).toBeGreaterThan(0);
    expect(Math.max(...read)).toBeLessThan(size / 2);
  });

  it('refuses 17 KiB of JSON on a normal route with 413', async () => {
    const response = await fetch(`${url}/wallet/transfer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ wallet_number: '0000000000000', amount: 1, pad: 'x'.repeat(17 * 1024) }),
    });
    await expectProblem(response, 413, 'payload_too_large');
  });

  it('takes 200 KiB on the Paystack webhook to its signature check, and refuses 300 KiB', async () => {
    const event = (padBytes: number) =>
      JSON.stringify({ event: 'charge.success', data: { pad: 'x'.repeat(padBytes) } });
    const headers = { 'content-type': 'application/json', 'x-paystack-signature': '00'.repeat(64) };
    const accepted = await fetch(`${url}${PAYSTACK_WEBHOOK_PATH}`, {
      method: 'POST',
      headers,
      body: event(200 * 1024),
    });
    await expectProblem(accepted, 401, 'invalid_signature');
    const tooLarge = await fetch(`${url}${PAYSTACK_WEBHOOK_PATH}`, {
      method: 'POST',
      headers,
      body: event(300 * 1024),
    });
    await expectProblem(tooLarge, 413, 'payload_too_large');
  });

  it('refuses bodies that are not JSON with 415', async () => {
    const response = await fetch(`${url}/wallet/transfer`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    });
    await expectProblem(response, 415, 'unsupported_media_type');
  });

  it('answers a wrong method on an existing path with 405 and Allow', async () => {
    const balance = await fetch(`${url}/wallet/balance`, { method: 'POST', headers: auth });
    expect(balance.headers.get('allow')).toBe('GET, HEAD');
    await expectProblem(balance, 405, 'method_not_allowed');
    const transfer = await fetch(`${url}/wallet/transfer`, { method: 'GET' });
    expect(transfer.headers.get('allow')).toBe('POST');
    await expectProblem(transfer, 405, 'method_not_allowed');
    const key = await fetch(`${url}/keys/00000000-0000-4000-8000-000000000000`, { method: 'PUT' });
    expect(key.headers.get('allow')).toContain('DELETE');
    await expectProblem(key, 405, 'method_not_allowed');
    await expectProblem(await fetch(`${url}/no/such/route`, { method: 'DELETE' }), 404, 'not_found');
  });

  it('logs a client that drops its upload at debug, without a stack', async () => {
    log = '';
    const socket = await openSocket(url);
    const closed = untilClosed(socket, 5_000);
    socket.write(
      head('POST', '/wallet/transfer', {
        ...auth,
        'content-type': 'application/json',
        'content-length': 8_000,
      }),
    );
    socket.write('{"wallet_number":"');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack?: string } });
    const aborted = lines.filter((line) => /abort/i.test(line.msg));
    expect(aborted.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.err?.stack, JSON.stringify(line)).toBeUndefined();
      expect(line.level, JSON.stringify(line)).toBeLessThanOrEqual(30);
    }
    for (const line of aborted) expect(line.level).toBe(20);
  });

  it('reads MAX_CONNECTIONS as a positive integer, 1024 by default', () => {
    expect(testConfig().maxConnections).toBe(1024);
    expect(testConfig({ MAX_CONNECTIONS: '50' }).maxConnections).toBe(50);
    for (const wrong of ['0', '-1', '1.5', 'many']) {
      expect(() => testConfig({ MAX_CONNECTIONS: wrong }), wrong).toThrow(ConfigError);
    }
  });
});
