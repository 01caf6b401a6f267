import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { deposits, wallets } from '../../src/db/schema.ts';
import { checkLedger } from '../../src/ledger/check.ts';
import { creditDeposit } from '../../src/ledger/deposits.ts';
import { newReference } from '../../src/ledger/reference.ts';

/**
 * Funds a wallet the way a confirmed Paystack deposit does (a successful deposit row and its
 * ledger credit in one transaction), without going through the webhook.
 */
export async function fundWallet(db: Database, userId: string, amount: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [wallet] = await tx.select().from(wallets).where(eq(wallets.userId, userId));
    if (!wallet) throw new Error(`user ${userId} has no wallet`);
    const reference = newReference('dep');
    const posted = await creditDeposit(tx, {
      reference,
      walletAccountId: wallet.accountId,
      amount: BigInt(amount),
    });
    await tx.insert(deposits).values({
      userId,
      reference,
      amount: BigInt(amount),
      status: 'success',
      ledgerTransactionId: posted.transactionId,
    });
  });
}

export async function expectLedgerConsistent(db: Database): Promise<void> {
  const report = await checkLedger(db);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
}
