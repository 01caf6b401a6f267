import type { Queryable } from '../db/client.ts';
import { invariant } from '../errors.ts';
import { type PostedTransaction, postTransaction } from './post.ts';

/** The system account standing for money Paystack holds for us; the only one allowed below zero. */
export const PAYSTACK_CLEARING = 'paystack:clearing';

/**
 * Credits a confirmed deposit to a wallet: the wallet gains `amount`, the Paystack clearing
 * account owes it. The ledger reference is the deposit's reference, whose uniqueness makes a
 * second credit of the same deposit fail rather than pass. Call inside the transaction that
 * marks the deposit successful.
 */
export async function creditDeposit(
  tx: Queryable,
  input: { reference: string; walletAccountId: bigint; amount: bigint },
): Promise<PostedTransaction> {
  invariant(input.amount > 0n, 'a deposit credits a positive amount');
  return postTransaction(tx, {
    reference: input.reference,
    kind: 'deposit',
    postings: [
      { account: input.walletAccountId, amount: input.amount },
      { account: { systemCode: PAYSTACK_CLEARING }, amount: -input.amount },
    ],
  });
}
