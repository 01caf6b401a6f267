import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus figures (SPEC "Operations"), kept with prom-client in a registry of
 * their own rather than prom-client's global one, so a library that registers there never clashes
 * with them. Counters here are per process: the domain modules that move money, call Paystack or
 * reconcile count what they did once it is committed, whichever app in the process asked (in
 * production there is one app per process; tests that build several read differences). Figures
 * that belong to one app (its database pool, its webhook worker) live in that app's registry,
 * merged with this one when `/metrics` answers (`src/http/metrics.ts`).
 *
 * Labels are low-cardinality by construction: route templates, posting kinds, error codes,
 * Paystack call names and event types from fixed lists; never ids, references or amounts.
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

/** Latency buckets, in seconds, from 1 ms (a balance read) to 10 s (a Paystack call timing out). */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequests = new Counter({
  name: 'wallet_http_requests_total',
  help: 'HTTP requests answered, by method, route template and status code',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [processRegistry],
});

export const httpRequestDuration = new Histogram({
  name: 'wallet_http_request_duration_seconds',
  help: 'Time from the request to its answer, by method and route template',
  labelNames: ['method', 'route'] as const,
  buckets: LATENCY_BUCKETS_SECONDS,
  registers: [processRegistry],
});

export const refusals = new Counter({
  name: 'wallet_refusals_total',
  help: 'Problem answers (RFC 9457) by error code, as in docs/ERRORS.md',
  labelNames: ['code'] as const,
  registers: [processRegistry],
});

/** The ledger's posting kinds (`ledger_transactions.kind`). */
export type PostingKind =
  | 'deposit'
  | 'transfer'
  | 'withdrawal'
  | 'withdrawal_payout'
  | 'withdrawal_return'
  | 'refund';

const ledgerPostings = new Counter({
  name: 'wallet_ledger_postings_total',
  help: 'Ledger transactions committed, by kind',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});

const moneyMoved = new Counter({
  name: 'wallet_money_moved_kobo_total',
  help: 'Kobo moved by committed ledger transactions, by kind (a withdrawal counts amount plus fee)',
  labelNames: ['kind'] as const,
  registers: [processRegistry],
});

/**
 * Counts one committed ledger transaction of `kind` moving `amountKobo`. Call it after the
 * transaction commits, never inside it: a rolled-back posting moved nothing. Counters hold
 * doubles, exact to the kobo up to 2^53 kobo (₦90 trillion) per process lifetime.
 */
export function countPosting(kind: PostingKind, amountKobo: bigint): void {
  ledgerPostings.inc({ kind });
  moneyMoved.inc({ kind }, Number(amountKobo));
}

export const transactionRetries = new Counter({
  name: 'wallet_db_transaction_retries_total',
  help: 'Transactions run again after a serialization failure or deadlock, by SQLSTATE',
  labelNames: ['sqlstate'] as const,
  registers: [processRegistry],
});

export const paystackWebhooks = new Counter({
  name: 'wallet_paystack_webhooks_total',
  help: 'Paystack webhook events accepted (signature valid), by event type and what they did',
  labelNames: ['type', 'outcome'] as const,
  registers: [processRegistry],
});

export const paystackCalls = new Counter({
  name: 'wallet_paystack_calls_total',
  help: 'Calls to Paystack by operation and outcome (ok, or the failure kind)',
  labelNames: ['operation', 'outcome'] as const,
  registers: [processRegistry],
});

export const paystackCallDuration = new Histogram({
  name: 'wallet_paystack_call_duration_seconds',
  help: 'Time of a Paystack call, body included, by operation',
  labelNames: ['operation'] as const,
  buckets: LATENCY_BUCKETS_SECONDS,
  registers: [processRegistry],
});

export const reconcilerRuns = new Counter({
  name: 'wallet_reconciler_runs_total',
  help: 'Reconciler passes by pass and outcome (done, failed)',
  labelNames: ['pass', 'outcome'] as const,
  registers: [processRegistry],
});

export const reconcilerFindings = new Counter({
  name: 'wallet_reconciler_findings_total',
  help: 'What reconciler passes found, by pass and finding (the counts each pass reports)',
  labelNames: ['pass', 'finding'] as const,
  registers: [processRegistry],
});
