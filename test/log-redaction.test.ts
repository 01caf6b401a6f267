import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { issueAccessToken } from '../src/auth/jwt.ts';
import { signInUser } from '../src/auth/users.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { type Headers, KEY_FORMAT, keyAuth, sendTo } from './support/api-keys.ts';
import { testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { json } from './support/http.ts';
import { waitFor } from './support/wait.ts';

describe('secrets stay out of logs and error bodies', () => {
  const config = testConfig();
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
    app = await buildApp({ config, database: database.handle, logger: loggerOptions('trace', stream) });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('never writes a key, valid or mistyped, to the log or a response body', async () => {
    const user = await signInUser(database.handle.db, {
      subject: 'sub-logged',
      email: 'logged@example.com',
      name: 'logged',
    });
    const { token } = await issueAccessToken(user.id, config.jwtSecret, config.jwtTtlSeconds);
    const jwt = { authorization: `Bearer ${token}` };
    const created = await json(
      await sendTo(url, 'POST', '/keys/create', jwt, {
        name: 'logged',
        permissions: ['deposit'],
        expiry: '1D',
      }),
    );
    const key: string = created.api_key;
    expect(key).toMatch(KEY_FORMAT);
    const mistyped = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;

    const bodies: string[] = [];
    const requests: [string, string, Headers, unknown?][] = [
      ['GET', '/wallet/balance', keyAuth(key)],
      ['GET', '/wallet/balance', keyAuth(mistyped)],
      ['GET', '/wallet/balance', { ...jwt, ...keyAuth(key) }],
      ['GET', '/keys', keyAuth(key)],
      ['GET', '/keys', jwt],
      ['POST', '/wallet/transfer', keyAuth(key), { wallet_number: '0000000000000', amount: 1 }],
      ['POST', '/keys/rollover', jwt, { expired_key_id: created.id, expiry: '1D' }],
      ['DELETE', `/keys/${created.id}`, jwt],
      ['GET', '/wallet/balance', keyAuth(key)],
    ];
    for (const [method, path, headers, body] of requests) {
      bodies.push(await (await sendTo(url, method, path, headers, body)).text());
    }
    expect(bodies.join('\n')).not.toContain(key.slice(12));
    expect(bodies.join('\n')).not.toContain(mistyped.slice(12));

    // Each response's log line is written after the response is sent: wait for all of them.
    await waitFor(() => log.split('request completed').length > requests.length + 1);
    expect(log).toContain('request completed');
    expect(log).toContain('permission_denied');
    expect(log).toContain('api_key_revoked');
    for (const secret of [key, mistyped, key.slice(12), mistyped.slice(12), token]) {
      expect(log).not.toContain(secret);
    }
  });
});
