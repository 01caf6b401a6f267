import { reconcilerFindings, reconcilerRuns } from '../observability/metrics.ts';

/** One kind of reconciliation (withdrawals; deposits later), run once per pass. */
export interface ReconcilerPass {
  name: string;
  /** Does one bounded pass; what it returns is logged. Throwing ends only this pass, logged. */
  run(): Promise<unknown>;
}

/** Where the reconciler reports: pino's signature, so a Fastify logger fits. */
export interface ReconcilerLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface Reconciler {
  /** Runs every pass now (after a pass already running ends); what the timer does each interval. */
  runNow(): Promise<void>;
  /** Stops the timer and waits for a pass in progress to end. */
  stop(): Promise<void>;
}

/** Counts a finished pass and each count its report gives (`{ credited: 2, failed: 1 }`, say). */
function countFindings(pass: string, report: unknown): void {
  reconcilerRuns.inc({ pass, outcome: 'done' });
  if (report === null || typeof report !== 'object') return;
  for (const [finding, count] of Object.entries(report)) {
    if (typeof count === 'number' && count > 0) reconcilerFindings.inc({ pass, finding }, count);
  }
}

/**
 * Runs `passes` one after another every `intervalMs` (RECONCILE_INTERVAL), in the background:
 * the first run one interval after the start, never two runs at once in this process, and the
 * timer never keeps the process alive. Instances coordinate through the database (each pass
 * claims its rows with `SKIP LOCKED`), not here.
 */
export function startReconciler(options: {
  intervalMs: number;
  passes: readonly ReconcilerPass[];
  log: ReconcilerLog;
}): Reconciler {
  const { intervalMs, passes, log } = options;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runAll = async (): Promise<void> => {
    for (const pass of passes) {
      if (stopped) return;
      try {
        const report = await pass.run();
        countFindings(pass.name, report);
        log.info({ pass: pass.name, report }, 'reconciler pass done');
      } catch (error) {
        reconcilerRuns.inc({ pass: pass.name, outcome: 'failed' });
        log.error({ pass: pass.name, err: error }, 'reconciler pass failed');
      }
    }
  };
  const runNow = (): Promise<void> => {
    running = running.then(runAll);
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
