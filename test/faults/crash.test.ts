import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { createFundedUsers, driveTransfers, FAULT_JWT_SECRET, sendTransfer, sleep } from './support.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe('kill -9 under load', () => {
  it('reflects every answered transfer once, and keyed retries of interrupted ones do the work once', async () => {
    const env = { DATABASE_URL: database.url as string, JWT_SECRET: FAULT_JWT_SECRET, NODE_ENV: 'test' };
    const users = await createFundedUsers(database.handle.db, 12, 10_000_000);
    let service: ServiceProcess = await startServiceProcess({ env });
    const port = service.port;

    const crashed = sleep(1_500).then(() => service.crash());
    const attempts = await driveTransfers(
      () => service.url,
      users,
      32,
      crashed.then(() => sleep(300)),
      'crash',
    );
    service = await startServiceProcess({ env, port });
    try {
      const answered = attempts.filter((a) => a.status !== undefined);
      const interrupted = attempts.filter((a) => a.status === undefined);
      expect(answered.length).toBeGreaterThan(50);
      expect(interrupted.length).toBeGreaterThan(0);
      expect(answered.every((a) => a.status === 200)).toBe(true);

      const retries = await Promise.all(interrupted.map((a) => sendTransfer(service.url, a)));
      expect(retries.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);

      const references = [...answered, ...retries].map((a) => a.response?.reference as string);
      expect(new Set(references).size).toBe(references.length);

      const db = database.handle.db;
      const posted = await queryRows<{ reference: string }>(
        db,
        sql`select reference from ledger_transactions where kind = 'transfer'`,
      );
      expect(posted.map((row) => row.reference).sort()).toEqual([...references].sort());
      const [keys] = await queryRows<{ count: number }>(
        db,
        sql`select count(*)::int as count from idempotency_keys where state = 'completed' and response_status = 200`,
      );
      expect(keys?.count).toBe(references.length);
      await expectLedgerConsistent(db);
    } finally {
      await service.stop();
    }
  });
});
