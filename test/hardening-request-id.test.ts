import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { json } from './support/http.ts';

let database: TestDatabase;
let app: FastifyInstance;
let url: string;
let log = '';

beforeAll(async () => {
  database = await createTestDatabase();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  app = await buildApp({
    config: testConfig(),
    database: database.handle,
    logger: loggerOptions('trace', stream),
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function idsFor(sent: string): Promise<{ header: string | null; body: string }> {
  const response = await fetch(`${url}/no/such/route`, { headers: { 'x-request-id': sent } });
  return { header: response.headers.get('x-request-id'), body: (await json(response)).request_id };
}

describe('x-request-id (SPEC "Operations")', () => {
  it('echoes a sane id: up to 128 letters, digits and -_.:', async () => {
    for (const sane of [
      'trace-123',
      'a.b_c-d:e',
      'x'.repeat(128),
      '00-4bf92f3577b34da6a3ce929d0e0e4736-01',
    ]) {
      expect(await idsFor(sane)).toEqual({ header: sane, body: sane });
    }
  });

  it('replaces markup, over-long and otherwise odd ids with a new one', async () => {
    for (const insane of ['"><script>alert(1)</script>', 'x'.repeat(129), 'a b', 'id/with/slashes', 'é']) {
      const { header, body } = await idsFor(insane);
      expect(header, insane).toMatch(UUID);
      expect(body).toBe(header);
    }
  });

  it('puts the id on every log line of the request, and never the rejected value', async () => {
    log = '';
    const response = await fetch(`${url}/wallet/balance`, { headers: { 'x-request-id': 'log-id-1' } });
    await response.text();
    const markup = await fetch(`${url}/wallet/balance`, { headers: { 'x-request-id': '<b>bold</b>' } });
    await markup.text();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { reqId?: string; msg: string });
    const first = lines.filter((line) => line.reqId === 'log-id-1');
    expect(first.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'request completed']),
    );
    const second = lines.filter((line) => line.reqId === markup.headers.get('x-request-id'));
    expect(second.length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((line) => line.reqId === undefined)).toEqual([]);
    expect(log).not.toContain('<b>');
  });
});
