import type { Database } from '../db/client.ts';
import { type DepositCheck, reconcileDeposits } from '../deposits/reconcile.ts';
import type { PaystackClient } from '../paystack/client.ts';
import { reconcileWithdrawals } from '../withdrawals/reconcile.ts';
import { settlementLogEntry } from '../withdrawals/settlement-log.ts';
import type { ReconcilerLog, ReconcilerPass } from './loop.ts';

/** What a pass logs through: the reconciler's log, with warn for what is retried next pass. */
export interface PassLog extends ReconcilerLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Every reconciliation pass (SPEC "Reconciliation"), in the order one run does them: the
 * service's loop (`startReconciler`) runs them every RECONCILE_INTERVAL, and `npm run ops --
 * reconcile` once. Each pass is bounded, logs what it settled, and returns its counts.
 * `intervalMs` spaces re-verifications of one item: at most twice an interval (and a deposit at
 * most once a minute, whoever asks). Deposits go first: a payer's missing credit is the more
 * visible wait.
 */
export function reconcilerPasses(deps: {
  db: Database;
  paystack: PaystackClient;
  minAgeMs: number;
  intervalMs: number;
  log: PassLog;
}): ReconcilerPass[] {
  const { db, paystack, minAgeMs, intervalMs, log } = deps;
  return [
    {
      name: 'deposits',
      run: async () => {
        const report = await reconcileDeposits(db, paystack, {
          minAgeMs,
          reverifyAfterMs: intervalMs / 2,
        });
        for (const check of report.checks) logDepositCheck(log, check);
        const { checks: _checks, ...counts } = report;
        return counts;
      },
    },
    {
      name: 'withdrawals',
      run: async () => {
        const report = await reconcileWithdrawals(db, paystack, {
          minAgeMs,
          reverifyAfterMs: intervalMs / 2,
        });
        for (const { reference, check } of report.checks) {
          if (check.kind === 'settled') {
            const entry = settlementLogEntry(check.settlement, 'reconciler');
            log[entry.level](entry.fields, entry.message);
          } else if (check.kind === 'unknown') {
            log.warn({ reference, err: check.error }, 'withdrawal verification failed: retried next pass');
          }
        }
        const { checks: _checks, ...counts } = report;
        return counts;
      },
    },
  ];
}

/** One deposit's outcome in the log: credits at info, flags at error, what is retried at warn. */
function logDepositCheck(log: PassLog, check: DepositCheck): void {
  const source = { reference: check.reference, by: 'reconciler' };
  switch (check.kind) {
    case 'credited':
      // The webhook never came (or not yet): the reconciler's credit is the only one there will be.
      log[check.previouslyFailed ? 'warn' : 'info'](
        { ...source, amount: String(check.amount) },
        check.previouslyFailed ? 'failed deposit paid after all: credited' : 'deposit credited',
      );
      return;
    case 'flagged':
      log.error({ ...source, reason: check.reason }, 'Paystack payment NOT credited and flagged for review');
      return;
    case 'failed':
      log.info(
        { ...source, reason: check.reason },
        'deposit failed: unpaid at Paystack a day after it started',
      );
      return;
    case 'unknown':
      log.warn({ ...source, err: check.error }, 'deposit verification failed: retried next pass');
      return;
    case 'already_credited':
    case 'still_pending':
      return;
  }
}
