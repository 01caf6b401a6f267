import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';

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

describe('credentials in a query string stay out of the log', () => {
  it('replaces every query value in logged URLs, keeping the path and the names', async () => {
    const secrets = [
      'sk_live_query0123456789abcdef',
      'eyJhbGciOiJIUzI1NiJ9.query-access-token',
      'one-time-oauth-code-4f9a',
      'oauth-state-77aa',
      'bare-secret-without-name-9c1d',
      'fragment-secret-3e3e',
    ];
    const paths = [
      `/wallet/balance?api_key=${secrets[0]}`,
      `/wallet/balance?limit=5&access_token=${encodeURIComponent(secrets[1] as string)}`,
      `/auth/google/callback?code=${secrets[2]}&state=${secrets[3]}`,
      `/keys?${secrets[4]}`,
      `/no/such/route?api_key=${secrets[0]}&x=${secrets[5]}`,
    ];
    for (const path of paths) await (await fetch(`${url}${path}`)).text();
    await new Promise((resolve) => setTimeout(resolve, 100));

    for (const secret of secrets) expect(log).not.toContain(secret);
    const urls = log
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url)
      .filter((logged): logged is string => logged !== undefined);
    expect(urls).toEqual([
      '/wallet/balance?api_key=[Redacted]',
      '/wallet/balance?limit=[Redacted]&access_token=[Redacted]',
      '/auth/google/callback?code=[Redacted]&state=[Redacted]',
      '/keys?[Redacted]',
      '/no/such/route?api_key=[Redacted]&x=[Redacted]',
    ]);
  });
});
