// What the bench does: everything the issue fixes is a constant; what a person may want to vary
// is an environment variable (docs/PERFORMANCE.md lists them).

export const CONNECTIONS = 32;
export const PGBENCH_THREADS = 2;
export const PGBENCH_SCALE = 32;
export const USERS = 40;
/** ₦1,000,000 each: transfers of at most ₦5 never run a wallet dry within a run. */
export const FUNDING_KOBO = 100_000_000;
export const MAX_TRANSFER_KOBO = 500;
/** ₦100, the amount of each deposit confirmed during the webhook phase. */
export const WEBHOOK_DEPOSIT_KOBO = 10_000;
/** Bounds on how many deposits are prepared for the webhook phase (each is delivered once). */
export const MIN_WEBHOOK_DEPOSITS = 1_000;
export const MAX_WEBHOOK_DEPOSITS = 100_000;
/** ₦1,000, each withdrawal of the withdrawals phase (the fee is added on top). */
export const WITHDRAWAL_KOBO = 100_000;
/**
 * How long the bench's Paystack simulator waits before its transfer webhook: short, so the 5
 * pending withdrawals a user may have (SPEC) turn over quickly and the phase measures the
 * withdrawal path rather than that cap.
 */
export const TRANSFER_WEBHOOK_DELAY_MS = 20;
/** autocannon's per-request timeout, seconds: far above any healthy latency here. */
export const REQUEST_TIMEOUT_S = 10;

/** Issue #15's targets. */
export const TARGETS = {
  transferRatio: 0.7,
  balanceRatio: 0.3,
  /** Webhook credits per second as a share of transfers per second. */
  webhookRatio: 0.8,
  transferP99Ms: 50,
  rssMib: 150,
};

/** The yardstick phases, run against `bench/floor-server.ts` instead of the service. */
export const TRANSFER_FLOOR = 'transfers floor (bare Node + pg)';
export const BALANCE_FLOOR = 'balance floor (bare Node + pg)';
export const FLOOR_PHASES: readonly string[] = [TRANSFER_FLOOR, BALANCE_FLOOR];

export type PhaseName =
  | 'liveness'
  | 'transfers'
  | 'balance'
  | 'webhooks'
  | 'outbox'
  | 'withdrawals'
  | 'floor'
  | 'pgbench';
const ALL_PHASES: readonly PhaseName[] = [
  'liveness',
  'transfers',
  'balance',
  'webhooks',
  'outbox',
  'withdrawals',
  'floor',
  'pgbench',
];

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function phasesFromEnv(): Set<PhaseName> {
  const raw = process.env.BENCH_PHASES;
  if (raw === undefined || raw.trim() === '') return new Set(ALL_PHASES);
  const chosen = raw.split(',').map((name) => name.trim());
  for (const name of chosen) {
    if (!(ALL_PHASES as readonly string[]).includes(name)) {
      throw new Error(`BENCH_PHASES: unknown phase "${name}" (known: ${ALL_PHASES.join(', ')})`);
    }
  }
  return new Set(chosen as PhaseName[]);
}

export const DURATION_S = intEnv('BENCH_DURATION', 10, 1, 600);
export const PHASES = phasesFromEnv();
export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** When set, the service runs with --cpu-prof and writes its profile there on exit. */
export const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
/** Node flags for the service after start:prod's (say `--max-old-space-size=64`), to try settings. */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
/** Keeps the service's database for EXPLAIN ANALYZE afterwards; it is then yours to drop. */
export const KEEP_DATABASE = process.env.BENCH_KEEP_DATABASE === '1';
export const SKIP_BUILD = process.env.BENCH_SKIP_BUILD === '1';
