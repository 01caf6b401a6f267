import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInUser } from '../src/auth/users.ts';
import { type DatabaseHandle, openPglite } from '../src/db/client.ts';
import { transfer } from '../src/ledger/transfer.ts';
import { applyRefund } from '../src/refunds/refund.ts';
import { pairedProviders } from './support/app.ts';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.ts';
import { fundWallet } from './support/ledger.ts';
import { startTestPaystack, type TestPaystack } from './support/paystack.ts';

/** `npm run ops -- …` as an operator runs it: its exit code and what it printed. */
function ops(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/ops/cli.ts', ...args],
      { env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), ...env } },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        }),
    );
  });
}

/**
 * The database the commands run on: a PostgreSQL test database, or an embedded one under a
 * DATA_DIR of its own, which the command opens itself (so the test closes its handle first).
 */
let database: TestDatabase | undefined;
let dataDir: string | undefined;
let env: Record<string, string>;
let walletNumber: string;
let flaggedReference: string;
let paystack: TestPaystack;

async function withDb<T>(use: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  if (database) return use(database.handle);
  const handle = await openPglite(join(dataDir as string, 'pglite'));
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  paystack = await startTestPaystack();
  if (onPostgres) {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url as string };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'wallet-ops-'));
    env = { DATA_DIR: dataDir };
    // The first command creates and migrates the embedded database.
    expect((await ops(['frozen'], env)).stdout).toMatch(/No wallet is frozen/);
  }
  await withDb(async ({ db }) => {
    const user = await signInUser(db, {
      subject: `ops-${Date.now()}`,
      email: 'ops@example.com',
      name: 'Ops',
    });
    const friend = await signInUser(db, {
      subject: `ops-friend-${Date.now()}`,
      email: 'friend@example.com',
      name: null,
    });
    walletNumber = user.walletNumber;
    // Paid 30,000, sent 25,000 on, then refunded in full: 5,000 taken, 25,000 owed, frozen.
    flaggedReference = await fundWallet(db, user.id, 30_000);
    await transfer(db, {
      senderUserId: user.id,
      recipientWalletNumber: friend.walletNumber,
      amount: 25_000n,
    });
    await applyRefund(db, {
      transactionReference: flaggedReference,
      refundReference: 'rf-ops-1',
      amount: 30_000n,
      currency: 'NGN',
    });
    // More than the deposit brought: flagged, not taken.
    await applyRefund(db, {
      transactionReference: flaggedReference,
      refundReference: 'rf-ops-2',
      amount: 1n,
      currency: 'NGN',
    });
  });
});
afterAll(async () => {
  await paystack.close();
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run ops', () => {
  it('flagged: lists what a person must look at', async () => {
    const { code, stdout } = await ops(['flagged'], env);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^kind\s+reference\s+amount\s+when\s+reason$/);
    expect(stdout).toMatch(
      new RegExp(`event\\s+${flaggedReference}\\s+-\\s+\\S+\\s+refund.processed: refund rf-ops-2`),
    );
  });

  it('frozen, unfreeze, frozen: the freeze is lifted and logged, the debt stays', async () => {
    const frozen = await ops(['frozen'], env);
    expect(frozen.code).toBe(0);
    expect(frozen.stdout).toMatch(
      new RegExp(`${walletNumber}\\s+ops@example.com\\s+₦0.00\\s+₦250.00\\s+\\S+\\s+refund rf-ops-1`),
    );
    const unfrozen = await ops(['unfreeze', walletNumber], env);
    expect(unfrozen.code).toBe(0);
    expect(unfrozen.stdout).toMatch(/unfrozen/);
    const logged = unfrozen.stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'operator unfroze a wallet', wallet: walletNumber }),
    );
    expect((await ops(['frozen'], env)).stdout).toMatch(/No wallet is frozen/);
    expect((await ops(['unfreeze', walletNumber], env)).stdout).toMatch(/not frozen/);
  });

  it('exits 1 for an unknown wallet and 2 for a usage error', async () => {
    expect((await ops(['unfreeze', '1234567890123'], env)).code).toBe(1);
    expect((await ops(['unfreeze', 'abc'], env)).code).toBe(2);
    expect((await ops(['launch'], env)).code).toBe(2);
    expect((await ops([], env)).code).toBe(2);
  });

  it('reconcile: one pass now against Paystack, or exit 1 without its key', async () => {
    expect((await ops(['reconcile'], env)).code).toBe(1);
    const { code, stdout } = await ops(
      ['reconcile'],
      pairedProviders({ ...env, PAYSTACK_SECRET_KEY: paystack.secretKey, PAYSTACK_BASE_URL: paystack.url }),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^withdrawals\s+checked 0/m);
  });
});

describe.skipIf(onPostgres)('the command-line tools on an embedded database a service holds', () => {
  it('refuse in one line naming the holder, without a stack', async () => {
    const held = mkdtempSync(join(tmpdir(), 'wallet-ops-held-'));
    try {
      // This test's own process plays the running service that holds DATA_DIR.
      writeFileSync(join(held, '.lock'), `${process.pid}\n`);
      for (const tool of [
        ['src/ops/cli.ts', 'frozen'],
        ['src/ledger/check-cli.ts'],
        ['src/db/migrate-cli.ts'],
      ]) {
        const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
          execFile(
            process.execPath,
            tool,
            {
              env: {
                PATH: process.env.PATH ?? '',
                NODE_ENV: 'test',
                JWT_SECRET: 'x'.repeat(40),
                DATA_DIR: held,
              },
            },
            (error, _stdout, stderr) =>
              resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
          );
        });
        expect(code, tool.join(' ')).toBe(1);
        expect(stderr.trim().split('\n'), tool.join(' ')).toEqual([
          expect.stringMatching(new RegExp(`is in use by process ${process.pid}: stop it, or set DATA_DIR`)),
        ]);
      }
    } finally {
      rmSync(held, { recursive: true, force: true });
    }
  });
});
