import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client.ts';
import { initiateWithdrawal, type PaystackCheck, verifyWithdrawal } from './initiate.ts';
import type { TransfersApi } from './paystack-transfers.ts';

/** Withdrawals verified per pass: bounded, so one pass never runs unbounded against Paystack. */
export const WITHDRAWAL_BATCH_SIZE = 50;

export interface WithdrawalReconciliation {
  /** Pending withdrawals this pass asked Paystack about. */
  checked: number;
  /** Settled by what Paystack said (see the log for each). */
  settled: number;
  /** Paystack did not know them, so they were initiated again with the same reference. */
  reinitiated: number;
  /** Still pending at Paystack. */
  inProgress: number;
  /** No usable answer: left for the next pass. */
  unknown: number;
  /** Each check's outcome, by reference. */
  checks: { reference: string; check: PaystackCheck }[];
}

/**
 * One reconciler pass over withdrawals (SPEC "Reconciliation"): pending withdrawals older than
 * `minAgeMs` are verified with Paystack and settled through the same transitions as the webhooks
 * (`verifyWithdrawal`); one Paystack does not know (the process died before its initiation, or
 * Paystack never received it) is initiated again with the same reference.
 *
 * Several instances may run passes at once without asking twice: each claims its batch with
 * `FOR UPDATE SKIP LOCKED` and stamps `last_verified_at`, and a withdrawal stamped within the last
 * `reverifyAfterMs` is not claimed again. No database transaction stays open across a call to
 * Paystack: the claim commits first.
 */
export async function reconcileWithdrawals(
  db: Database,
  api: TransfersApi,
  options: { minAgeMs: number; reverifyAfterMs: number; batchSize?: number },
): Promise<WithdrawalReconciliation> {
  const claimed = await queryRows<{ reference: string }>(
    db,
    sql`update withdrawals set last_verified_at = now()
         where id in (select id from withdrawals
                       where status = 'pending'
                         and created_at <= now() - make_interval(secs => ${options.minAgeMs / 1000})
                         and (last_verified_at is null
                              or last_verified_at <= now() - make_interval(secs => ${options.reverifyAfterMs / 1000}))
                       order by created_at
                       limit ${options.batchSize ?? WITHDRAWAL_BATCH_SIZE}
                         for update skip locked)
        returning reference`,
  );
  const report: WithdrawalReconciliation = {
    checked: 0,
    settled: 0,
    reinitiated: 0,
    inProgress: 0,
    unknown: 0,
    checks: [],
  };
  for (const { reference } of claimed) {
    let check = await verifyWithdrawal(db, api, reference);
    report.checked++;
    if (check.kind === 'not_found') {
      check = await initiateWithdrawal(db, api, reference);
      report.reinitiated++;
    }
    if (check.kind === 'settled') report.settled++;
    else if (check.kind === 'in_progress') report.inProgress++;
    else if (check.kind === 'unknown') report.unknown++;
    report.checks.push({ reference, check });
  }
  return report;
}
