import type { Database } from '../db/client.ts';
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
 * `intervalMs` spaces re-verifications of one item: at most twice an interval.
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
