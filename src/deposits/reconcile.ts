import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.ts';
import { deposits } from '../db/schema.ts';
import { invariant } from '../errors.ts';
import { emitDepositsFailed } from '../notifications/outbox.ts';
import {
  type PaystackClient,
  PaystackError,
  type TransactionStatus,
  type VerifiedTransaction,
} from '../paystack/client.ts';
import { confirmDeposit } from './confirm.ts';
import { VERIFY_INTERVAL_MS } from './status.ts';

/** Deposits verified per pass: bounded, so one pass never runs unbounded against Paystack. */
export const DEPOSIT_BATCH_SIZE = 50;

/**
 * The wait between two verify calls of one pass. Paystack rate-limits each secret key and
 * answers 429 past it; a pass is background work and must leave that budget to payers.
 */
export const DEFAULT_VERIFY_PAUSE_MS = 100;

/**
 * SPEC: Paystack's `failed` or `abandoned` becomes final for a deposit older than this. Younger,
 * it may still change: a payer can come back to an abandoned checkout, or retry a declined card
 * on the same page.
 */
export const FINAL_VERDICT_AFTER_MS = 24 * 60 * 60_000;

/** Paystack's statuses that end a deposit unpaid, once it is older than FINAL_VERDICT_AFTER_MS. */
const UNPAID_AT_PAYSTACK: ReadonlySet<TransactionStatus> = new Set(['failed', 'abandoned', 'reversed']);

/** What the reconciler did with one deposit; the pass logs it (at error level for `flagged`). */
export type DepositCheck =
  /** Paystack holds its payment and the webhook never came: credited now, through `confirmDeposit`. */
  | { kind: 'credited'; reference: string; amount: bigint; previouslyFailed: boolean }
  /** Paystack holds its payment and it was credited already (the webhook came meanwhile). */
  | { kind: 'already_credited'; reference: string }
  /** Paystack reported another amount or currency: not credited, failed, flagged for a person. */
  | { kind: 'flagged'; reference: string; reason: string }
  /** Paystack's unpaid verdict is final (older than FINAL_VERDICT_AFTER_MS): now `failed`. */
  | { kind: 'failed'; reference: string; reason: string }
  /** Paystack has no final word yet, or its unpaid word may still change: left pending. */
  | { kind: 'still_pending'; reference: string; paystackStatus: TransactionStatus }
  /** Paystack gave no usable answer (unknown reference, outage, timeout): left pending, asked again later. */
  | { kind: 'unknown'; reference: string; error: PaystackError };

export interface DepositReconciliation {
  /** Pending deposits this pass asked Paystack about. */
  checked: number;
  credited: number;
  alreadyCredited: number;
  flagged: number;
  failed: number;
  stillPending: number;
  unknown: number;
  /** Each check's outcome, oldest deposit first. */
  checks: DepositCheck[];
}

export interface DepositReconcileOptions {
  /** How old (ms since `created_at`) a pending deposit must be before Paystack is asked: RECONCILE_MIN_AGE. */
  minAgeMs: number;
  /** How long (ms) after the reconciler last asked about a deposit it may ask again; never under VERIFY_INTERVAL_MS. */
  reverifyAfterMs: number;
  /** At most this many deposits per pass; DEPOSIT_BATCH_SIZE by default. */
  batchSize?: number;
  /** The wait (ms) between two verify calls; DEFAULT_VERIFY_PAUSE_MS by default. */
  pauseMs?: number;
}

/**
 * One reconciler pass over deposits (SPEC "Reconciliation", missed webhooks): pending deposits
 * with a checkout URL, older than `minAgeMs`, are verified with Paystack
 * (`GET /transaction/verify/{reference}`, one call at a time, `pauseMs` apart):
 *
 * - `success`: credited through `confirmDeposit` with the amount and currency Paystack reported,
 *   the webhook's own exactly-once path, which also flags a mismatch instead of crediting;
 * - `failed`, `abandoned` or `reversed` for a deposit older than FINAL_VERDICT_AFTER_MS: `failed`
 *   with reason `paystack_<status>`; younger, it stays pending;
 * - any other status, or no usable answer from Paystack: left pending.
 *
 * A batch takes the deposits never asked about first, oldest first, then those asked about least
 * recently: unpaid checkouts stay pending for a day, and by age alone the 50 oldest of them would
 * fill every batch while a newer deposit, paid and its webhook lost, waited for their day to end.
 * Deposits without a checkout URL were never shown to a payer; `failAbandonedDepositStarts`
 * ends them. Several instances may run passes at once without asking twice: each claims its
 * batch with `FOR UPDATE SKIP LOCKED` and stamps `last_reconciled_at`, the reconciler's own
 * stamp, at most once per `reverifyAfterMs` (never under VERIFY_INTERVAL_MS) per deposit. Status
 * reads do not move that stamp: a user polling the status page every minute cannot hold off the
 * credit of a paid deposit whose webhook was lost. The claim also stamps `last_verified_at`, so a
 * read right after a pass answers from the database instead of asking again. No
 * database transaction stays open across a call to Paystack: the claim commits first. A database
 * error ends the pass (thrown); the deposits it had claimed are asked about again next time.
 */
export async function reconcileDeposits(
  db: Database,
  paystack: Pick<PaystackClient, 'verifyTransaction'>,
  options: DepositReconcileOptions,
): Promise<DepositReconciliation> {
  const reverifyAfterMs = Math.max(options.reverifyAfterMs, VERIFY_INTERVAL_MS);
  const pauseMs = options.pauseMs ?? DEFAULT_VERIFY_PAUSE_MS;
  // RETURNING does not keep the subquery's order: the outer select asks oldest first within a batch.
  const claimed = await queryRows<{ reference: string; verdict_final: boolean }>(
    db,
    sql`with claimed as (
          update deposits set last_reconciled_at = now(), last_verified_at = now()
           where id in (select id from deposits
                         where status = 'pending'
                           and authorization_url is not null
                           and created_at <= now() - make_interval(secs => ${options.minAgeMs / 1000})
                           and (last_reconciled_at is null
                                or last_reconciled_at < now() - make_interval(secs => ${reverifyAfterMs / 1000}))
                         order by last_reconciled_at nulls first, created_at
                         limit ${options.batchSize ?? DEPOSIT_BATCH_SIZE}
                           for update skip locked)
          returning reference, created_at,
                    created_at <= now() - make_interval(secs => ${FINAL_VERDICT_AFTER_MS / 1000}) as verdict_final)
        select reference, verdict_final from claimed order by created_at, reference`,
  );

  const report: DepositReconciliation = {
    checked: 0,
    credited: 0,
    alreadyCredited: 0,
    flagged: 0,
    failed: 0,
    stillPending: 0,
    unknown: 0,
    checks: [],
  };
  for (const [index, deposit] of claimed.entries()) {
    if (index > 0 && pauseMs > 0) await sleep(pauseMs);
    const check = await checkDeposit(db, paystack, deposit.reference, deposit.verdict_final);
    report.checked++;
    if (check.kind === 'credited') report.credited++;
    else if (check.kind === 'already_credited') report.alreadyCredited++;
    else if (check.kind === 'flagged') report.flagged++;
    else if (check.kind === 'failed') report.failed++;
    else if (check.kind === 'still_pending') report.stillPending++;
    else report.unknown++;
    report.checks.push(check);
  }
  return report;
}

/** Asks Paystack about one claimed deposit and acts on the answer. */
async function checkDeposit(
  db: Database,
  paystack: Pick<PaystackClient, 'verifyTransaction'>,
  reference: string,
  verdictFinal: boolean,
): Promise<DepositCheck> {
  let verified: VerifiedTransaction;
  try {
    verified = await paystack.verifyTransaction(reference);
  } catch (error) {
    if (error instanceof PaystackError) return { kind: 'unknown', reference, error };
    throw error;
  }

  if (verified.status === 'success') {
    // Paystack's own figures, not ours: confirmDeposit credits only when they match the deposit.
    const confirmation = await confirmDeposit(db, {
      reference,
      amount: verified.amount,
      currency: verified.currency,
    });
    invariant(confirmation.kind !== 'unknown_reference', 'a claimed deposit still exists');
    return confirmation;
  }
  if (!UNPAID_AT_PAYSTACK.has(verified.status) || !verdictFinal) {
    return { kind: 'still_pending', reference, paystackStatus: verified.status };
  }

  const reason = `paystack_${verified.status}`;
  const [failed] = await db.transaction(async (tx) => {
    const rows = await tx
      .update(deposits)
      .set({ status: 'failed', failureReason: reason, updatedAt: sql`now()` })
      .where(and(eq(deposits.reference, reference), eq(deposits.status, 'pending')))
      .returning({ id: deposits.id });
    if (rows.length > 0) await emitDepositsFailed(tx, [reference]);
    return rows;
  });
  if (failed) return { kind: 'failed', reference, reason };
  // Not pending any more: a webhook credited it, or a status read failed it, meanwhile.
  const [current] = await db
    .select({ status: deposits.status, failureReason: deposits.failureReason })
    .from(deposits)
    .where(eq(deposits.reference, reference));
  invariant(current, 'a claimed deposit still exists');
  if (current.status === 'success') return { kind: 'already_credited', reference };
  return { kind: 'failed', reference, reason: current.failureReason ?? reason };
}
