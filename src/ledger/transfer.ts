import { sql } from 'drizzle-orm';
import { signedInUserGone } from '../auth/permissions.ts';
import { databaseErrorCode, preparedPerDatabase, type Queryable } from '../db/client.ts';
import { AppError, invariant } from '../errors.ts';
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
 * The refusals of the `wallet_transfer` database function (`sql/20_wallet_transfer.sql`); WL001,
 * insufficient funds, comes from the guarded debit in `ledger_post`. WL005, the sender has no
 * wallet, means the signed-in user was deleted: every user gets a wallet at first sign-in. WL009:
 * the sender's wallet is frozen.
 */
const REFUSALS: Record<string, () => AppError> = {
  WL001: () => new AppError('insufficient_funds', 'The wallet balance is too low for this transfer'),
  WL003: () => new AppError('self_transfer', 'You cannot transfer to your own wallet'),
  WL004: () => new AppError('wallet_not_found', 'No wallet has that number'),
  WL005: signedInUserGone,
  WL009: () =>
    new AppError(
      'wallet_frozen',
      'Your wallet is frozen: it cannot send money until its debt is repaid or its dispute resolved',
    ),
};

const walletTransfer = preparedPerDatabase((db) =>
  db
    .select({ senderBalance: sql<string>`sender_balance` })
    .from(
      sql`wallet_transfer(${sql.placeholder('senderUserId')}::uuid, ${sql.placeholder('recipientWalletNumber')},
                          ${sql.placeholder('amount')}::bigint, ${sql.placeholder('reference')})`,
    )
    .prepare('wallet_transfer'),
);

/**
 * Moves `amount` kobo from the user's wallet to the wallet numbered `recipientWalletNumber`, in one
 * statement: the `wallet_transfer` database function resolves both wallets and posts through
 * `ledger_post`. Atomic on its own, so it needs no surrounding transaction (and holds its locks
 * for less time without one); inside a caller's transaction it commits with it.
 */
export async function transfer(
  db: Queryable,
  input: { senderUserId: string; recipientWalletNumber: string; amount: bigint },
): Promise<TransferResult> {
  invariant(input.amount >= 1n && input.amount <= MAX_TRANSFER_KOBO, 'transfer amount validated at the edge');
  if (!isValidWalletNumber(input.recipientWalletNumber)) {
    throw new AppError('invalid_wallet_number', 'The wallet number fails its check digit; check for a typo');
  }
  const reference = newReference('trf');
  let rows: { senderBalance: string }[];
  try {
    rows = await walletTransfer(db).execute({
      senderUserId: input.senderUserId,
      recipientWalletNumber: input.recipientWalletNumber,
      amount: input.amount,
      reference,
    });
  } catch (error) {
    const refusal = REFUSALS[databaseErrorCode(error) ?? ''];
    if (refusal) throw refusal();
    throw error;
  }
  const balance = rows[0] === undefined ? undefined : BigInt(rows[0].senderBalance);
  invariant(balance !== undefined && balance >= 0n, 'the sender balance is known and not negative');
  return { reference, amount: input.amount, recipientWalletNumber: input.recipientWalletNumber, balance };
}
