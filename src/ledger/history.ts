import { sql } from 'drizzle-orm';
import { type Queryable, queryRows } from '../db/client.ts';
import { AppError } from '../errors.ts';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * The ledger kinds that touch a wallet, as history shows them (`withdrawal_payout` never does; a
 * `debt_repayment`, money received going to a refund's unpaid part, shows as a `refund`).
 */
export type HistoryType = 'deposit' | 'transfer' | 'withdrawal' | 'withdrawal_return' | 'refund';

/** A movement's status: `success` once posted, except a withdrawal, which shows the withdrawal's. */
export type HistoryStatus = 'success' | 'pending' | 'failed' | 'reversed';

export interface HistoryItem {
  id: string;
  /** The movement's reference; a withdrawal's return shows the withdrawal's own. */
  reference: string;
  type: HistoryType;
  direction: 'credit' | 'debit';
  /** Always positive; `direction` tells which way it moved (a withdrawal: amount + fee). */
  amount: bigint;
  status: HistoryStatus;
  counterpartyWalletNumber: string | null;
  /** When the entry was posted under its account's lock: newest-first order and time agree. */
  createdAt: Date;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Opaque; absent on the last page. */
  nextCursor: string | undefined;
}

/**
 * The cursor is the last entry id seen. Entries of one account get their ids while the account
 * row is locked, so ids grow in commit order per account and a page boundary never skips a row
 * that commits later.
 */
function encodeCursor(entryId: string): string {
  return Buffer.from(`e:${entryId}`).toString('base64url');
}

/** Entry ids are PostgreSQL bigints from 1: anything outside never reaches SQL. */
const MAX_ENTRY_ID = 2n ** 63n - 1n;

/** The entry id in a cursor this service issued; anything else is `400 invalid_cursor`. */
function decodeCursor(cursor: string): bigint {
  const match = /^e:([1-9]\d{0,18})$/.exec(Buffer.from(cursor, 'base64url').toString());
  const entryId = match ? BigInt(match[1] as string) : undefined;
  if (entryId === undefined || entryId > MAX_ENTRY_ID) {
    throw new AppError('invalid_cursor', 'The cursor is not one this service issued');
  }
  return entryId;
}

interface HistoryRow {
  entry_id: string;
  amount: string;
  transaction_id: string;
  reference: string;
  kind: HistoryType;
  status: HistoryStatus;
  created_at: Date | string;
  counterparty_wallet_number: string | null;
}

/** One page of the wallet's movements, newest first, walking the (account_id, id) index. */
export async function listWalletHistory(
  db: Queryable,
  accountId: bigint,
  options: { limit: number; cursor: string | undefined },
): Promise<HistoryPage> {
  const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const rows = await queryRows<HistoryRow>(
    db,
    sql`select e.id as entry_id, e.amount, t.id as transaction_id,
               coalesce(held.reference, returned.reference, t.reference) as reference,
               case t.kind when 'debt_repayment' then 'refund' else t.kind end as kind,
               coalesce(held.status, 'success') as status, e.created_at,
               (select w.wallet_number
                  from ledger_entries other
                  join wallets w on w.account_id = other.account_id
                 where other.transaction_id = e.transaction_id and other.account_id <> e.account_id
                 limit 1) as counterparty_wallet_number
          from ledger_entries e
          join ledger_transactions t on t.id = e.transaction_id
          left join withdrawals held on held.hold_transaction_id = t.id
          left join withdrawals returned on returned.return_transaction_id = t.id
         where e.account_id = ${accountId}
           ${before === undefined ? sql`` : sql`and e.id < ${before}`}
         order by e.id desc nulls last
         limit ${options.limit + 1}`,
  );
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => {
      const amount = BigInt(row.amount);
      return {
        id: row.transaction_id,
        reference: row.reference,
        type: row.kind,
        direction: amount > 0n ? 'credit' : 'debit',
        amount: amount > 0n ? amount : -amount,
        status: row.status,
        counterpartyWalletNumber: row.counterparty_wallet_number,
        createdAt: new Date(row.created_at),
      };
    }),
    nextCursor: rows.length > options.limit && last ? encodeCursor(last.entry_id) : undefined,
  };
}
