import { sql } from 'drizzle-orm';
import { signedInUserGone } from '../auth/permissions.ts';
import {
  type Database,
  databaseErrorCode,
  preparedPerDatabase,
  type Queryable,
  queryRows,
} from '../db/client.ts';
import { AppError, invariant } from '../errors.ts';
import { countPosting } from '../observability/metrics.ts';

export interface HeldWithdrawal {
  withdrawalId: string;
  createdAt: Date;
  /** The wallet's balance after the hold, in kobo. */
  balance: bigint;
}

/** The refusals of `withdrawal_hold` (`sql/30_withdrawal_hold.sql`); WL001 comes from `ledger_post`. */
const HOLD_REFUSALS: Record<string, (maxPending: number) => AppError> = {
  WL001: () =>
    new AppError(
      'insufficient_funds',
      'The wallet balance is below the amount plus the fee; nothing was held',
    ),
  WL005: signedInUserGone,
  WL007: (maxPending) =>
    new AppError(
      'too_many_pending_withdrawals',
      `You have ${maxPending} withdrawals pending: wait for one to finish before starting another`,
    ),
  WL008: () => new AppError('bank_account_not_found', 'You have no saved bank account with this id'),
  WL009: () =>
    new AppError(
      'wallet_frozen',
      'Your wallet is frozen: it cannot withdraw until its debt is repaid or its dispute resolved',
    ),
};

const withdrawalHold = preparedPerDatabase((db) =>
  db
    .select({
      withdrawalId: sql<string>`withdrawal_id`,
      createdAt: sql<Date | string>`created_at`,
      balanceAfter: sql<string>`balance_after`,
    })
    .from(
      sql`withdrawal_hold(${sql.placeholder('userId')}::uuid, ${sql.placeholder('bankAccountId')}::uuid,
                          ${sql.placeholder('amount')}::bigint, ${sql.placeholder('fee')}::bigint,
                          ${sql.placeholder('reference')}, ${sql.placeholder('maxPending')}::int)`,
    )
    .prepare('withdrawal_hold'),
);

/**
 * Records the withdrawal `reference` as `pending` and holds amount + fee (kobo), moving it from
 * the user's wallet to a `withdrawals:in_flight:<n>` sub-account, in one statement: the `withdrawal_hold` database
 * function (`sql/30_withdrawal_hold.sql`). Atomic alone; inside a caller's transaction it commits
 * with it.
 *
 * Throws AppError: `422 insufficient_funds`, `409 too_many_pending_withdrawals` (`maxPending`
 * pending already), `404 bank_account_not_found` (not one of the user's saved accounts),
 * `403 wallet_frozen`,
 * `401 invalid_token` (the user has no wallet: deleted).
 */
export async function holdWithdrawal(
  db: Queryable,
  input: {
    userId: string;
    bankAccountId: string;
    amount: bigint;
    fee: bigint;
    reference: string;
    maxPending: number;
  },
): Promise<HeldWithdrawal> {
  let rows: { withdrawalId: string; createdAt: Date | string; balanceAfter: string }[];
  try {
    rows = await withdrawalHold(db).execute(input);
  } catch (error) {
    const refusal = HOLD_REFUSALS[databaseErrorCode(error) ?? ''];
    if (refusal) throw refusal(input.maxPending);
    throw error;
  }
  const [row] = rows;
  invariant(row !== undefined, 'withdrawal_hold returns the withdrawal');
  const balance = BigInt(row.balanceAfter);
  invariant(balance >= 0n, 'a hold never takes a wallet below zero');
  return { withdrawalId: row.withdrawalId, createdAt: new Date(row.createdAt), balance };
}

/** Paystack's final word on a transfer, as this service acts on it. */
export type WithdrawalOutcome = 'success' | 'failed' | 'reversed';

export type WithdrawalStatus = 'pending' | WithdrawalOutcome;

/**
 * What settling did: `settled` moved the money (`previousStatus` → `status`); `duplicate` found
 * the outcome applied already; `ignored` found a final state the outcome cannot change (`failed`
 * after `success`); `flagged` found Paystack paying out money the wallet got back, or reporting
 * another amount or currency, for a person to resolve; `unknown_reference` found no such withdrawal.
 */
export type Settlement =
  | {
      result: 'settled' | 'duplicate' | 'ignored' | 'flagged';
      reference: string;
      outcome: WithdrawalOutcome;
      previousStatus: WithdrawalStatus;
      status: WithdrawalStatus;
      withdrawalId: string;
      userId: string;
      /** Kobo. */
      amount: bigint;
      /** Kobo. */
      fee: bigint;
    }
  | { result: 'unknown_reference'; reference: string; outcome: WithdrawalOutcome };

interface SettleRow {
  result: Settlement['result'];
  previous_status: WithdrawalStatus | null;
  status: WithdrawalStatus | null;
  withdrawal_id: string | null;
  user_id: string | null;
  amount: string | null;
  fee: string | null;
}

/**
 * Applies Paystack's final word on the withdrawal `reference` exactly once, whoever brings it (the
 * webhook, the reconciler's verification, the answer to the initiation): one statement, the
 * `withdrawal_settle` database function (`sql/30_withdrawal_settle.sql`), whose
 * transitions and guarantees are documented there. `reason` is kept as the failure reason of a
 * `failed` or `reversed` withdrawal (`paystack_<outcome>` when null). A `reported` amount or
 * currency other than the withdrawal's moves nothing and is `flagged` for review. Its statement
 * commits on its own: callers pass the database, never a transaction, so a settlement is counted
 * in the metrics as it returns.
 */
export async function settleWithdrawal(
  db: Database,
  input: {
    reference: string;
    outcome: WithdrawalOutcome;
    reason?: string | null;
    transferCode?: string | null;
    /** What Paystack reported: kobo and currency; a disagreement with the withdrawal is `flagged`. */
    reported?: { amount: bigint; currency: string };
  },
): Promise<Settlement> {
  const { reference, outcome, reported } = input;
  const [row] = await queryRows<SettleRow>(
    db,
    sql`select * from withdrawal_settle(${reference}, ${outcome}, ${input.reason ?? null}, ${input.transferCode ?? null},
                                        ${reported?.amount ?? null}::bigint, ${reported?.currency ?? null})`,
  );
  invariant(row !== undefined, 'withdrawal_settle returns one row');
  if (row.result === 'unknown_reference') return { result: row.result, reference, outcome };
  invariant(
    row.previous_status !== null &&
      row.status !== null &&
      row.withdrawal_id !== null &&
      row.user_id !== null &&
      row.amount !== null &&
      row.fee !== null,
    'a known withdrawal is described whole',
  );
  const amount = BigInt(row.amount);
  const fee = BigInt(row.fee);
  if (row.result === 'settled') {
    countPosting(outcome === 'success' ? 'withdrawal_payout' : 'withdrawal_return', amount + fee);
  }
  return {
    result: row.result,
    reference,
    outcome,
    previousStatus: row.previous_status,
    status: row.status,
    withdrawalId: row.withdrawal_id,
    userId: row.user_id,
    amount,
    fee,
  };
}
