import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { createFundedUsers, driveTransfers, FAULT_JWT_SECRET, sleep } from './support.ts';

let database: TestDatabase;
let first: ServiceProcess;
let second: ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  const env = { DATABASE_URL: database.url as string, JWT_SECRET: FAULT_JWT_SECRET, NODE_ENV: 'test' };
  [first, second] = await Promise.all([startServiceProcess({ env }), startServiceProcess({ env })]);
});
afterAll(async () => {
  await Promise.all([first.stop(), second.stop()]);
  await database.drop();
});

describe('two instances on one database', () => {
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
