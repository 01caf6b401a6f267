import { sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';

/**
 * Event types (SPEC "Notifications to client applications"). Most are recorded by the database
 * functions that move the money (`outbox_emit` in `src/ledger/sql/`); the helpers below record the
 * ones whose change happens in TypeScript, inside the same transaction as that change.
 */
export const EVENT_TYPES = [
  'deposit.succeeded',
  'deposit.failed',
  'transfer.sent',
  'transfer.received',
  'withdrawal.succeeded',
  'withdrawal.failed',
  'withdrawal.reversed',
  'refund.processed',
  'wallet.frozen',
  'wallet.unfrozen',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Records `deposit.failed` for each of the deposits `references` (just failed by the caller, in
 * `tx`), with the deposit as its status endpoint shows it. Call in the transaction that failed them.
 */
export async function emitDepositsFailed(tx: Queryable, references: readonly string[]): Promise<void> {
  if (references.length === 0) return;
  await tx.execute(
    sql`select outbox_emit(d.user_id, 'deposit.failed',
                           jsonb_build_object('reference', d.reference, 'status', d.status, 'amount', d.amount))
          from deposits d
         where d.reference = any(${sql.raw('ARRAY[')}${sql.join(
           references.map((reference) => sql`${reference}`),
           sql`, `,
         )}${sql.raw(']::text[]')})`,
  );
}

/**
 * Records `wallet.frozen` or `wallet.unfrozen` for the wallet `walletNumber` as it is now in
 * `tx`, through `wallet_freeze_event` (`src/ledger/sql/06_wallet_freeze_event.sql`), which shapes
 * these events wherever the change happens. Call in the transaction that changed it.
 */
export async function emitWalletFreeze(tx: Queryable, walletNumber: string): Promise<void> {
  await tx.execute(
    sql`select wallet_freeze_event(account_id) from wallets where wallet_number = ${walletNumber}`,
  );
}
