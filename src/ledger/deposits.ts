import { eq } from 'drizzle-orm';
import type { Transaction } from '../db/client.ts';
import { accounts } from '../db/schema.ts';
import { invariant } from '../errors.ts';
import { type PostedTransaction, postTransaction } from './post.ts';

/** The system account standing for money Paystack holds for us; the only one allowed below zero. */
export const PAYSTACK_CLEARING = 'paystack:clearing';

async function systemAccountId(tx: Transaction, code: string): Promise<bigint> {
  const [row] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.systemCode, code));
  invariant(row, `system account ${code} exists (created by migration 0001)`);
  return row.id;
}

/**
 * Credits a confirmed deposit to a wallet: the wallet gains `amount`, the Paystack clearing
 * account owes it. The ledger reference is the deposit's reference, whose uniqueness makes a
 * second credit of the same deposit fail rather than pass. Call inside the transaction that
 * marks the deposit successful.
 */
export async function creditDeposit(
  tx: Transaction,
  input: { reference: string; walletAccountId: bigint; amount: bigint },
): Promise<PostedTransaction> {
  invariant(input.amount > 0n, 'a deposit credits a positive amount');
  const clearing = await systemAccountId(tx, PAYSTACK_CLEARING);
  return postTransaction(tx, {
    reference: input.reference,
    kind: 'deposit',
    postings: [
      { accountId: input.walletAccountId, amount: input.amount },
      { accountId: clearing, amount: -input.amount },
    ],
  });
}
