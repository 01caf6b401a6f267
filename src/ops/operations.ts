import { sql } from 'drizzle-orm';
import { type Database, type Queryable, queryRows } from '../db/client.ts';
import { emitWalletFreeze } from '../notifications/outbox.ts';

/** One thing flagged for review: a deposit, a withdrawal, or an event the service would not act on. */
export interface FlaggedItem {
  kind: 'deposit' | 'withdrawal' | 'event';
  reference: string | null;
  /** Kobo, when the item has an amount. */
  amount: bigint | null;
  reason: string;
  at: Date;
}

/** Flagged items, newest first, at most `limit` (SPEC: `npm run ops -- flagged`). */
export async function listFlagged(db: Queryable, limit = 200): Promise<FlaggedItem[]> {
  const rows = await queryRows<{
    kind: FlaggedItem['kind'];
    reference: string | null;
    amount: string | null;
    reason: string;
    at: Date | string;
  }>(
    db,
    sql`select * from (
          select 'deposit' as kind, reference, amount, flagged_reason as reason, updated_at as at
            from deposits where flagged_reason is not null
          union all
          select 'withdrawal', reference, amount, flagged_reason, updated_at
            from withdrawals where flagged_reason is not null
          union all
          select 'event', reference, null, event || ': ' || reason, created_at from flagged_events
        ) flagged
        order by at desc
        limit ${limit}`,
  );
  return rows.map((row) => ({
    kind: row.kind,
    reference: row.reference,
    amount: row.amount === null ? null : BigInt(row.amount),
    reason: row.reason,
    at: new Date(row.at),
  }));
}

export interface FrozenWallet {
  walletNumber: string;
  email: string;
  /** Kobo the wallet can spend, and kobo it owes. */
  balance: bigint;
  debt: bigint;
  reason: string;
  since: Date;
}

/** Frozen wallets, longest frozen first, with their debt and reason (SPEC: `npm run ops -- frozen`). */
export async function listFrozen(db: Queryable, limit = 200): Promise<FrozenWallet[]> {
  const rows = await queryRows<{
    wallet_number: string;
    email: string;
    balance: string;
    debt: string;
    reason: string;
    since: Date | string;
  }>(
    db,
    sql`select w.wallet_number, u.email, a.balance, coalesce(-d.balance, 0) as debt,
               w.frozen_reason as reason, w.frozen_at as since
          from wallets w
          join users u on u.id = w.user_id
          join accounts a on a.id = w.account_id
          left join accounts d on d.id = w.debt_account_id
         where w.frozen_at is not null
         order by w.frozen_at
         limit ${limit}`,
  );
  return rows.map((row) => ({
    walletNumber: row.wallet_number,
    email: row.email,
    balance: BigInt(row.balance),
    debt: BigInt(row.debt),
    reason: row.reason,
    since: new Date(row.since),
  }));
}

/**
 * An operator's unfreeze: lifts the freeze of the wallet `walletNumber` whatever it owes (money it
 * receives still repays the debt first). Returns what the freeze was, `not_frozen`, or `not_found`.
 */
export async function unfreezeWallet(
  db: Database,
  walletNumber: string,
): Promise<
  { result: 'unfrozen'; reason: string; debt: bigint } | { result: 'not_frozen' } | { result: 'not_found' }
> {
  return db.transaction(async (tx) => {
    const [wallet] = await queryRows<{ frozen_reason: string | null; debt: string }>(
      tx,
      sql`select w.frozen_reason, coalesce(-d.balance, 0) as debt
            from wallets w left join accounts d on d.id = w.debt_account_id
           where w.wallet_number = ${walletNumber}
             for update of w`,
    );
    if (!wallet) return { result: 'not_found' };
    if (wallet.frozen_reason === null) return { result: 'not_frozen' };
    await tx.execute(
      sql`update wallets set frozen_at = null, frozen_reason = null where wallet_number = ${walletNumber}`,
    );
    await emitWalletFreeze(tx, walletNumber);
    return { result: 'unfrozen', reason: wallet.frozen_reason, debt: BigInt(wallet.debt) };
  });
}
