import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/free-port.ts';
import { pairedProviders } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import {
  answerAtProvider,
  finishSignIn,
  type SignInResult,
  signInThroughProvider,
  startSignIn,
  startTestOidcProvider,
  type TestOidcProvider,
} from '../support/sign-in.ts';
import { createFundedUsers, driveTransfers, FAULT_JWT_SECRET, sleep } from './support.ts';

let database: TestDatabase;
let first: ServiceProcess;
let second: ServiceProcess;

let provider: TestOidcProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  // Behind a load balancer both instances share one public callback URL and one Google client.
  const firstPort = await freePort();
  const redirectUri = `http://127.0.0.1:${firstPort}/auth/google/callback`;
  provider = await startTestOidcProvider([redirectUri]);
  // Paystack is not used here; the stand-ins come only as a pair, so it gets a closed port.
  const env = pairedProviders({
    DATABASE_URL: database.url as string,
    JWT_SECRET: FAULT_JWT_SECRET,
    NODE_ENV: 'test',
    GOOGLE_ISSUER: provider.issuer,
    GOOGLE_CLIENT_ID: provider.client.clientId,
    GOOGLE_CLIENT_SECRET: provider.client.clientSecret,
    GOOGLE_REDIRECT_URI: redirectUri,
  });
  [first, second] = await Promise.all([
    startServiceProcess({ env, port: firstPort }),
    startServiceProcess({ env }),
  ]);
});
afterAll(async () => {
  await Promise.all([first.stop(), second.stop()]);
  await provider.stop();
  await database.drop();
});

describe('two instances on one database', () => {
  it('finish on one instance a sign-in started on the other', async () => {
    const { cookie, authorizeUrl } = await startSignIn(first.url);
    const callback = await answerAtProvider(authorizeUrl, { email: 'roaming@example.com' });
    const onSecond = new URL(`${callback.pathname}${callback.search}`, second.url);
    const response = await finishSignIn(onSecond, cookie);
    expect(response.status).toBe(200);
    const body = (await response.json()) as SignInResult;
    expect(body.user.email).toBe('roaming@example.com');
    const balance = await fetch(`${first.url}/wallet/balance`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(balance.status).toBe(200);
  });

  it('refuse on one instance, at once, a key revoked on the other', async () => {
    const { access_token: token } = await signInThroughProvider(first.url, 'keys@example.com');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.url}/keys/create`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'svc', permissions: ['read'], expiry: '1D' }),
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; api_key: string };
    const useOnSecond = () =>
      fetch(`${second.url}/wallet/balance`, { headers: { 'x-api-key': key.api_key } });
    expect((await useOnSecond()).status).toBe(200);
    const revoked = await fetch(`${first.url}/keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: auth.authorization },
    });
    expect(revoked.status).toBe(204);
    const refused = await useOnSecond();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('api_key_revoked');
  });

  it('conserve money under concurrent transfers through both', async () => {
    const users = await createFundedUsers(database.handle.db, 8, 100_000);
    let turn = 0;
    const attempts = await driveTransfers(
      () => ((turn++ & 1) === 0 ? first.url : second.url),
      users,
      32,
      sleep(2_000),
      'two',
    );
    expect(attempts.length).toBeGreaterThan(100);
    expect(attempts.filter((a) => a.status !== 200 && a.status !== 422)).toEqual([]);

    const balances = await Promise.all(
      users.map(async (user) => {
        const response = await fetch(`${second.url}/wallet/balance`, {
          headers: { authorization: user.authorization },
        });
        return ((await response.json()) as { balance: number }).balance;
      }),
    );
    expect(balances.reduce((a, b) => a + b, 0)).toBe(8 * 100_000);
    await expectLedgerConsistent(database.handle.db);
  });
});
