import { sql } from 'drizzle-orm';
import { queryRows, type Transaction } from '../db/client.ts';
import { ledgerEntries, ledgerTransactions } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';

export interface Posting {
  accountId: bigint;
  /** Signed kobo: positive credits the account, negative debits it. */
  amount: bigint;
}

export interface PostedTransaction {
  transactionId: string;
  reference: string;
  createdAt: Date;
  /** Each account's balance right after this transaction. */
  balances: ReadonlyMap<bigint, bigint>;
}

export type LedgerKind = 'deposit' | 'transfer';

function assertBalanced(postings: readonly Posting[]): void {
  invariant(postings.length >= 2, 'a ledger transaction has at least two entries');
  let sum = 0n;
  const seen = new Set<bigint>();
  for (const posting of postings) {
    invariant(posting.amount !== 0n, 'no entry moves zero');
    invariant(!seen.has(posting.accountId), 'each account appears once per transaction');
    seen.add(posting.accountId);
    sum += posting.amount;
  }
  invariant(sum === 0n, 'entries sum to zero');
}

/**
 * Posts one balanced ledger transaction: the only way money moves. Must run inside a database
 * transaction, which it leaves to the caller to commit.
 *
 * Balances change through guarded single-row UPDATEs taken in ascending account id order: the
 * guard (`balance + amount >= 0` for wallets) is re-checked by PostgreSQL after any concurrent
 * writer commits, so no update is lost and no wallet goes negative, and the fixed order means
 * two transactions touching the same accounts never wait on each other in a cycle. A refused
 * debit throws `insufficient_funds`; the caller's transaction then rolls back every change.
 */
export async function postTransaction(
  tx: Transaction,
  input: { reference: string; kind: LedgerKind; postings: readonly Posting[] },
): Promise<PostedTransaction> {
  assertBalanced(input.postings);
  const ordered = [...input.postings].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  const balances = new Map<bigint, bigint>();
  for (const posting of ordered) {
    const [row] = await queryRows<{ balance: string }>(
      tx,
      sql`update accounts set balance = balance + ${posting.amount}
          where id = ${posting.accountId} and (kind = 'system' or balance + ${posting.amount} >= 0)
          returning balance`,
    );
    if (!row) {
      invariant(posting.amount < 0n, `account ${posting.accountId} exists for a credit`);
      throw new AppError(422, 'insufficient_funds', 'The wallet balance is too low for this transfer');
    }
    balances.set(posting.accountId, BigInt(row.balance));
  }

  const [header] = await tx
    .insert(ledgerTransactions)
    .values({ reference: input.reference, kind: input.kind })
    .returning({ id: ledgerTransactions.id, createdAt: ledgerTransactions.createdAt });
  invariant(header, 'ledger transaction insert returned a row');
  await tx.insert(ledgerEntries).values(
    ordered.map((posting) => ({
      transactionId: header.id,
      accountId: posting.accountId,
      amount: posting.amount,
      balanceAfter: balances.get(posting.accountId) as bigint,
      createdAt: header.createdAt,
    })),
  );
  return { transactionId: header.id, reference: input.reference, createdAt: header.createdAt, balances };
}
