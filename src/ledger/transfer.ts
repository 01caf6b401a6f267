import { sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { API_KEY_REFUSALS, recordApiKeyUse } from '../auth/api-key-verify.ts';
import { lacksPermission, signedInUserGone } from '../auth/permissions.ts';
import {
  type Database,
  databaseErrorCode,
  preparedPerDatabase,
  type Queryable,
  retryTransaction,
} from '../db/client.ts';
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
const REFUSALS: Readonly<Record<string, () => AppError>> = {
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

const walletTransferByApiKey = preparedPerDatabase((db) =>
  db
    .select({ senderBalance: sql<string>`sender_balance` })
    .from(
      sql`wallet_transfer_by_api_key(${sql.placeholder('apiKeyHash')}, ${sql.placeholder('recipientWalletNumber')},
                                     ${sql.placeholder('amount')}::bigint, ${sql.placeholder('reference')})`,
    )
    .prepare('wallet_transfer_by_api_key'),
);

/** What to send: `amount` kobo to the wallet numbered `recipientWalletNumber`. */
export interface TransferOrder {
  recipientWalletNumber: string;
  amount: bigint;
}

/** Runs one of the transfer statements on `order`, mapping its refusals through `refusals`. */
async function post(
  order: TransferOrder,
  refusals: Readonly<Record<string, () => AppError>>,
  statement: (parameters: {
    recipientWalletNumber: string;
    amount: bigint;
    reference: string;
  }) => Promise<{ senderBalance: string }[]>,
): Promise<TransferResult> {
  invariant(order.amount >= 1n && order.amount <= MAX_TRANSFER_KOBO, 'transfer amount validated at the edge');
  if (!isValidWalletNumber(order.recipientWalletNumber)) {
    throw new AppError('invalid_wallet_number', 'The wallet number fails its check digit; check for a typo');
  }
  const reference = newReference('trf');
  let rows: { senderBalance: string }[];
  try {
    rows = await statement({
      recipientWalletNumber: order.recipientWalletNumber,
      amount: order.amount,
      reference,
    });
  } catch (error) {
    const refusal = refusals[databaseErrorCode(error) ?? ''];
    if (refusal) throw refusal();
    throw error;
  }
  const balance = rows[0] === undefined ? undefined : BigInt(rows[0].senderBalance);
  invariant(balance !== undefined && balance >= 0n, 'the sender balance is known and not negative');
  return { reference, amount: order.amount, recipientWalletNumber: order.recipientWalletNumber, balance };
}

/**
 * Moves `amount` kobo from the user's wallet to the wallet numbered `recipientWalletNumber`, in one
 * statement: the `wallet_transfer` database function resolves both wallets and posts through
 * `ledger_post`. Atomic on its own, so it needs no surrounding transaction (and holds its locks
 * for less time without one); inside a caller's transaction it commits with it.
 *
 * Throws AppError: `400 invalid_wallet_number`, `400 self_transfer`, `404 wallet_not_found`,
 * `422 insufficient_funds`, `403 wallet_frozen`, `401 invalid_token` (the user was deleted).
 */
export async function transfer(
  db: Queryable,
  input: TransferOrder & { senderUserId: string },
): Promise<TransferResult> {
  return post(input, REFUSALS, (parameters) =>
    walletTransfer(db).execute({ ...parameters, senderUserId: input.senderUserId }),
  );
}

const BY_API_KEY_REFUSALS: Readonly<Record<string, () => AppError>> = {
  ...REFUSALS,
  ...API_KEY_REFUSALS,
  WL014: () => lacksPermission(['transfer']),
};

/**
 * `transfer` sent with the API key whose SHA-256 is `apiKeyHash` (well formed, not yet looked
 * up), the key checked in the transfer's own statement (`wallet_transfer_by_api_key`): valid, not
 * revoked, not expired, holding the `transfer` permission. One round trip in all; nothing cached,
 * so a revoked key is refused on the very next request, on every instance. Retries a deadlock as
 * `runIdempotent` does.
 *
 * Runs on the pool, never in a caller's transaction: a refused transfer undoes the statement's
 * record of the key's use, which is then made apart (`recordApiKeyUse`).
 *
 * Throws AppError: the refusals of `transfer`, `401 invalid_api_key`, `401 api_key_revoked`,
 * `401 api_key_expired`, `403 permission_denied`.
 */
export async function transferByApiKey(
  db: Database,
  input: TransferOrder & { apiKeyHash: Buffer },
): Promise<TransferResult> {
  invariant(!(db instanceof PgTransaction), 'a keyed transfer runs on the pool, outside any transaction');
  try {
    return await retryTransaction(() =>
      post(input, BY_API_KEY_REFUSALS, (parameters) =>
        walletTransferByApiKey(db).execute({ ...parameters, apiKeyHash: input.apiKeyHash }),
      ),
    );
  } catch (error) {
    // A 401 is the key's own refusal (or its user is gone): then there is no use to record. The
    // record is informational, and never turns a refusal into a failure.
    if (error instanceof AppError && error.status !== 401) {
      await recordApiKeyUse(db, input.apiKeyHash).catch(() => undefined);
    }
    throw error;
  }
}
