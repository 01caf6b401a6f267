import { type SQL, sql } from 'drizzle-orm';
import { databaseErrorCode, type Queryable, queryRows } from '../db/client.ts';
import { AppError, invariant } from '../errors.ts';

export interface Posting {
  /** The account's id, or the code of a system account such as `paystack:clearing`. */
  account: bigint | { systemCode: string };
  /** Signed kobo: positive credits the account, negative debits it. */
  amount: bigint;
}

export interface PostedTransaction {
  transactionId: string;
  reference: string;
  createdAt: Date;
  /** Each account's balance right after this transaction, by account id. */
  balances: ReadonlyMap<bigint, bigint>;
}

export type LedgerKind = 'deposit' | 'transfer';

/** Raised by the `ledger_post` database function when a guarded debit finds too little money. */
export const INSUFFICIENT_FUNDS_SQLSTATE = 'WL001';

export function insufficientFunds(): AppError {
  return new AppError(422, 'insufficient_funds', 'The wallet balance is too low for this transfer');
}

function assertBalanced(postings: readonly Posting[]): void {
  invariant(postings.length >= 2, 'a ledger transaction has at least two entries');
  let sum = 0n;
  for (const posting of postings) {
    invariant(posting.amount !== 0n, 'no entry moves zero');
    sum += posting.amount;
  }
  invariant(sum === 0n, 'entries sum to zero');
}

function accountExpression(account: Posting['account']): SQL {
  return typeof account === 'bigint'
    ? sql`${account}::bigint`
    : sql`(select id from accounts where system_code = ${account.systemCode})`;
}

/**
 * Posts one balanced ledger transaction: the only way money moves. It is one statement calling
 * the `ledger_post` database function (migration 0004), which applies guarded balance updates in
 * account id order and writes the transaction and its entries; on its own it is atomic, and
 * inside a caller's transaction it commits or rolls back with it. A refused debit throws
 * `insufficient_funds` and changes nothing.
 */
export async function postTransaction(
  db: Queryable,
  input: { reference: string; kind: LedgerKind; postings: readonly Posting[] },
): Promise<PostedTransaction> {
  assertBalanced(input.postings);
  const accounts = sql.join(
    input.postings.map((posting) => accountExpression(posting.account)),
    sql`, `,
  );
  const amounts = sql.join(
    input.postings.map((posting) => sql`${posting.amount}::bigint`),
    sql`, `,
  );
  let rows: {
    transaction_id: string;
    created_at: Date | string;
    account_id: string;
    balance_after: string;
  }[];
  try {
    rows = await queryRows(
      db,
      sql`select * from ledger_post(${input.reference}, ${input.kind}, array[${accounts}], array[${amounts}])`,
    );
  } catch (error) {
    if (databaseErrorCode(error) === INSUFFICIENT_FUNDS_SQLSTATE) {
      throw insufficientFunds();
    }
    throw error;
  }
  const [first] = rows;
  invariant(first && rows.length === input.postings.length, 'ledger_post returned one row per posting');
  return {
    transactionId: first.transaction_id,
    reference: input.reference,
    createdAt: new Date(first.created_at),
    balances: new Map(rows.map((row) => [BigInt(row.account_id), BigInt(row.balance_after)])),
  };
}
