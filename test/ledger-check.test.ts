import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, queryRows } from '../src/db/client.ts';
import { checkLedger } from '../src/ledger/check.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { onPostgres } from './support/database.ts';
import { fundWallet } from './support/ledger.ts';
import { timeoutForStarts } from './support/service-process.ts';

const run = promisify(execFile);
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  const alice = await t.createUser();
  await fundWallet(t.db, alice.id, 5_000);
});
afterAll(() => t.close());

// `npm run ledger:check` runs twice as a process of its own.
describe('ledger invariant check', { timeout: timeoutForStarts(2) }, () => {
  it('passes on a consistent ledger', async () => {
    const report = await checkLedger(t.db);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(report.totals.walletBalanceSum).toBe(5_000n);
    expect(report.totals.clearingBalance).toBe(-5_000n);
  });

  it('reports a cached balance that drifted from its entries', async () => {
    await t.db.execute(sql`update accounts set balance = balance + 1 where kind = 'wallet'`);
    try {
      const report = await checkLedger(t.db);
      expect(report.ok).toBe(false);
      expect(report.problems.join('\n')).toMatch(/cached balance 5001, entries sum 5000/);
      expect(report.problems.join('\n')).toMatch(
        /wallets \(5001\) and held money \(0\) less debts \(0\) total 5001 but the clearing sub-accounts sum to -5000/,
      );
    } finally {
      await t.db.execute(sql`update accounts set balance = balance - 1 where kind = 'wallet'`);
    }
    expect((await checkLedger(t.db)).ok).toBe(true);
  });

  it.skipIf(!onPostgres)('npm run ledger:check exits 1 with a report when broken, 0 when sound', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: t.database.url,
      NODE_ENV: 'test',
      JWT_SECRET: 'x'.repeat(40),
    };
    const ok = await run(process.execPath, ['src/ledger/check-cli.ts'], { env });
    expect(ok.stdout).toMatch(/every invariant holds/);

    await t.db.execute(sql`update accounts set balance = balance + 7 where kind = 'wallet'`);
    const broken = await run(process.execPath, ['src/ledger/check-cli.ts'], { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(broken?.code).toBe(1);
    expect(broken?.stderr).toMatch(/BROKEN: account \d+: cached balance 5007/);
    await t.db.execute(sql`update accounts set balance = balance - 7 where kind = 'wallet'`);
  });

  it('spreads credits over the clearing sub-accounts, whose sum is what Paystack owes', async () => {
    const bob = await t.createUser();
    for (let i = 0; i < 48; i++) await fundWallet(t.db, bob.id, 100);
    const rows = await queryRows<{ code: string; balance: string }>(
      t.db,
      sql`select system_code as code, balance from accounts where system_code like 'paystack:clearing:%'`,
    );
    expect(rows).toHaveLength(16);
    // 49 credits over 16 sub-accounts by reference hash: all on one would take a broken chooser.
    expect(rows.filter((row) => BigInt(row.balance) < 0n).length).toBeGreaterThan(8);
    const report = await checkLedger(t.db);
    expect(report.ok).toBe(true);
    expect(report.totals.clearingBalance).toBe(-9_800n);
    expect(rows.reduce((sum, row) => sum + BigInt(row.balance), 0n)).toBe(-9_800n);
  });

  it.skipIf(!onPostgres)(
    'a batch job may give its pool a longer statement timeout than the service’s 10 s',
    async () => {
      const url = t.database.url as string;
      for (const [options, expected] of [
        [{}, '10s'],
        [{ statementTimeoutMs: 60 * 60_000 }, '1h'],
      ] as const) {
        const handle = await openPostgres(url, options);
        try {
          const [row] = await queryRows<{ statement_timeout: string }>(
            handle.db,
            sql`show statement_timeout`,
          );
          expect(row?.statement_timeout).toBe(expected);
        } finally {
          await handle.close();
        }
      }
    },
  );
});
