import { eq, or } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { wallets } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { postTransaction } from './post.ts';
import { newReference } from './reference.ts';
import { isValidWalletNumber } from './wallet-number.ts';

/** SPEC: a request amount is an integer from 1 kobo to ₦1bn. */
export const MAX_TRANSFER_KOBO = 100_000_000_000n;

export interface TransferResult {
  reference: string;
  amount: bigint;
  recipientWalletNumber: string;
  /** The sender's balance after the transfer. */
  balance: bigint;
}

/**
 * Moves `amount` kobo from the user's wallet to the wallet numbered `recipientWalletNumber`.
 * Atomic on its own: the wallet lookup only reads the immutable number-to-account mapping and
 * the money moves in one statement, so it needs no surrounding transaction (and holds its locks
 * for less time without one); inside a caller's transaction it commits with it.
 */
export async function transfer(
  tx: Queryable,
  input: { senderUserId: string; recipientWalletNumber: string; amount: bigint },
): Promise<TransferResult> {
  invariant(input.amount >= 1n && input.amount <= MAX_TRANSFER_KOBO, 'transfer amount validated at the edge');
  if (!isValidWalletNumber(input.recipientWalletNumber)) {
    throw new AppError(
      400,
      'invalid_wallet_number',
      'The wallet number fails its check digit; check for a typo',
    );
  }
  const rows = await tx
    .select({ accountId: wallets.accountId, userId: wallets.userId, walletNumber: wallets.walletNumber })
    .from(wallets)
    .where(or(eq(wallets.userId, input.senderUserId), eq(wallets.walletNumber, input.recipientWalletNumber)));
  const sender = rows.find((row) => row.userId === input.senderUserId);
  const recipient = rows.find((row) => row.walletNumber === input.recipientWalletNumber);
  if (!sender) throw new AppError(404, 'wallet_not_found', 'You have no wallet');
  if (sender.walletNumber === input.recipientWalletNumber) {
    throw new AppError(400, 'self_transfer', 'You cannot transfer to your own wallet');
  }
  if (!recipient) throw new AppError(404, 'wallet_not_found', 'No wallet has that number');

  const posted = await postTransaction(tx, {
    reference: newReference('trf'),
    kind: 'transfer',
    postings: [
      { account: sender.accountId, amount: -input.amount },
      { account: recipient.accountId, amount: input.amount },
    ],
  });
  const balance = posted.balances.get(sender.accountId);
  invariant(balance !== undefined && balance >= 0n, 'the sender balance is known and not negative');
  return {
    reference: posted.reference,
    amount: input.amount,
    recipientWalletNumber: recipient.walletNumber,
    balance,
  };
}
