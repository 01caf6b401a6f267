import { expect } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { deposits } from '../../src/db/schema.ts';
import { checkLedger } from '../../src/ledger/check.ts';
import { creditDeposit } from '../../src/ledger/deposits.ts';
import { newReference } from '../../src/ledger/reference.ts';

/**
 * Funds a wallet the way a confirmed Paystack deposit does (a successful deposit row and its
 * ledger credit in one transaction), without going through the webhook; returns its reference.
 */
export async function fundWallet(db: Database, userId: string, amount: number): Promise<string> {
  const reference = newReference('dep');
  await db.transaction(async (tx) => {
    const [deposit] = await tx
      .insert(deposits)
      .values({ userId, reference, amount: BigInt(amount), status: 'success' })
      .returning({ id: deposits.id });
    if (!deposit) throw new Error('deposit insert returned no row');
    await creditDeposit(tx, deposit.id);
  });
  return reference;
}

export async function expectLedgerConsistent(db: Database): Promise<void> {
  const report = await checkLedger(db);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}
