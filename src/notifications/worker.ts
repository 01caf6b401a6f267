import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import {
  type AttemptOutcome,
  attemptDelivery,
  type ClaimedDelivery,
  claimDueDeliveries,
  leaseMsFor,
} from './deliver.ts';
import {
  type Backlog,
  DISPATCH_BATCH_SIZE,
  type DispatchReport,
  dispatchEvents,
  type PurgeReport,
  purgeOldDeliveries,
  readBacklog,
} from './dispatch.ts';
import type { Resolver } from './url-guard.ts';

/** How often an idle worker looks for events to fan out and deliveries due. */
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** Sends in progress at once in one instance. */
export const DEFAULT_MAX_IN_FLIGHT = 16;
/** Sends in progress at once to one endpoint from one instance: a slow receiver holds at most this many slots. */
export const DEFAULT_MAX_PER_ENDPOINT = 2;
/** How often finished deliveries older than 30 days are purged. */
export const PURGE_INTERVAL_MS = 60 * 60_000;
/** The first purge comes this long after the start, so instances restarted often still purge. */
const FIRST_PURGE_AFTER_MS = 60_000;
/** Fan-out statements per step: a burst of events is taken in bounded bites, the rest next step. */
const MAX_DISPATCH_BATCHES_PER_STEP = 10;

/** Where the worker reports: pino's signature, so a Fastify logger fits. Never given a secret. */
export interface WorkerLog {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface WebhookWorkerOptions {
  db: Database;
  config: Config['webhooks'];
  log: WorkerLog;
  /** The resolver the URL guard uses before each send; the system's by default. */
  resolve?: Resolver;
  pollIntervalMs?: number;
  maxInFlight?: number;
  maxPerEndpoint?: number;
  /** `false`: no background loop, only `step()` (tests). */
  background?: boolean;
}

/** What one step did. */
export interface StepReport {
  dispatched: DispatchReport;
  /** Deliveries claimed and attempted, with how each attempt ended. */
  attempted: number;
  outcomes: Partial<Record<AttemptOutcome, number>>;
}

/** The figures for the operations issue's metrics: counts since this worker started, and the backlog now. */
export interface WebhookMetrics {
  /** Attempts by outcome since the start (`delivered`, `retrying`, `failed`, `gone`, `skipped`, `released`, `lost`). */
  outcomes: Record<AttemptOutcome, number>;
  /** Attempts that threw (a database error while recording); their deliveries are retried after the lease. */
  errors: number;
  /** Outbox events fanned out, and deliveries created, since the start. */
  dispatchedEvents: number;
  createdDeliveries: number;
  /** Sends in progress in this instance now. */
  inFlight: number;
  backlog: Backlog;
}

export interface WebhookWorker {
  /**
   * One step now, after any step in progress: fan out pending events, claim due deliveries for
   * the free send slots, and wait for those sends to end (the background loop does not wait).
   */
  step(): Promise<StepReport>;
  /** Deletes finished deliveries and unreferenced events older than 30 days (also run hourly). */
  purge(): Promise<PurgeReport>;
  metrics(): Promise<WebhookMetrics>;
  /** Stops the loop; sends in progress are aborted and their deliveries handed back, due now. */
  stop(): Promise<void>;
}

const NO_OUTCOMES: Record<AttemptOutcome, number> = {
  delivered: 0,
  retrying: 0,
  failed: 0,
  gone: 0,
  skipped: 0,
  released: 0,
  lost: 0,
};

/**
 * The outgoing webhook worker of one instance (SPEC "Notifications to client applications";
 * ARCHITECTURE "Outbox"). Every `pollIntervalMs`, and at once whenever a send ends, it fans out
 * new outbox events (`dispatchEvents`) and claims due deliveries (`claimDueDeliveries`) for its
 * free slots: at most `maxInFlight` sends at once, at most `maxPerEndpoint` per endpoint. Each
 * send runs outside any transaction (`attemptDelivery`). Instances coordinate only through the
 * database (`SKIP LOCKED` claims with a lease), so any number may run. Its timers never keep the
 * process alive, and purges run hourly.
 */
export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, config, log } = options;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const maxPerEndpoint = options.maxPerEndpoint ?? DEFAULT_MAX_PER_ENDPOINT;
  const leaseMs = leaseMsFor(config.timeoutMs);
  const stopping = new AbortController();
  const context = {
    db,
    policy: { allowPrivateUrls: config.allowPrivateUrls, resolve: options.resolve },
    timeoutMs: config.timeoutMs,
    retryScheduleMs: config.retryScheduleMs,
    stop: stopping.signal,
  };

  const outcomes = { ...NO_OUTCOMES };
  const totals = { errors: 0, dispatchedEvents: 0, createdDeliveries: 0 };
  /** Sends in progress, by delivery id, and their count by endpoint id. */
  const sending = new Map<string, Promise<AttemptOutcome | undefined>>();
  const perEndpoint = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** Steps run one after another: two claims at once could together pass the slot limits. */
  let chain: Promise<unknown> = Promise.resolve();
  let looping = false;
  let wakeAgain = false;
  let lastPurge = Date.now() - PURGE_INTERVAL_MS + FIRST_PURGE_AFTER_MS;

  const attempt = (delivery: ClaimedDelivery): Promise<AttemptOutcome | undefined> => {
    perEndpoint.set(delivery.endpointId, (perEndpoint.get(delivery.endpointId) ?? 0) + 1);
    const running = attemptDelivery(context, delivery)
      .then((outcome) => {
        outcomes[outcome]++;
        const fields = {
          delivery: delivery.id,
          endpoint: delivery.endpointId,
          attempt: delivery.attempt + 1,
        };
        if (outcome === 'failed' || outcome === 'gone')
          log.warn({ ...fields, outcome }, 'webhook delivery ended');
        else log.debug({ ...fields, outcome }, 'webhook attempt recorded');
        return outcome;
      })
      .catch((error: unknown) => {
        totals.errors++;
        log.error({ delivery: delivery.id, err: error }, 'webhook attempt could not be recorded');
        return undefined;
      })
      .finally(() => {
        sending.delete(delivery.id);
        const left = (perEndpoint.get(delivery.endpointId) ?? 1) - 1;
        if (left > 0) perEndpoint.set(delivery.endpointId, left);
        else perEndpoint.delete(delivery.endpointId);
        wake();
      });
    sending.set(delivery.id, running);
    return running;
  };

  /** Fans out, purges when due, claims for the free slots; returns the sends it started. */
  const once = async (): Promise<{
    dispatched: DispatchReport;
    started: Promise<AttemptOutcome | undefined>[];
  }> => {
    const dispatched = { events: 0, deliveries: 0 };
    for (let batch = 0; batch < MAX_DISPATCH_BATCHES_PER_STEP && !stopped; batch++) {
      const report = await dispatchEvents(db, DISPATCH_BATCH_SIZE);
      dispatched.events += report.events;
      dispatched.deliveries += report.deliveries;
      if (report.events < DISPATCH_BATCH_SIZE) break;
    }
    totals.dispatchedEvents += dispatched.events;
    totals.createdDeliveries += dispatched.deliveries;
    if (Date.now() - lastPurge >= PURGE_INTERVAL_MS) {
      lastPurge = Date.now();
      const purged = await purgeOldDeliveries(db);
      log.info({ purged }, 'purged old webhook deliveries');
    }
    if (stopped) return { dispatched, started: [] };
    const claimed = await claimDueDeliveries(db, {
      limit: maxInFlight - sending.size,
      perEndpoint: maxPerEndpoint,
      inFlight: perEndpoint,
      leaseMs,
    });
    return { dispatched, started: claimed.map(attempt) };
  };

  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = chain.then(run);
    chain = next.catch(() => undefined);
    return next;
  };

  const schedule = (delayMs: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(loop, delayMs);
    timer.unref();
  };

  /** The background loop's turn: one step without waiting for its sends, then the next turn. */
  function loop(): void {
    if (stopped) return;
    if (looping) {
      wakeAgain = true;
      return;
    }
    looping = true;
    wakeAgain = false;
    serial(once).then(
      ({ dispatched }) => {
        looping = false;
        // A full fan-out left events behind: the next turn comes at once.
        const more = dispatched.events >= DISPATCH_BATCH_SIZE * MAX_DISPATCH_BATCHES_PER_STEP;
        schedule(more || wakeAgain ? 0 : pollIntervalMs);
      },
      (error: unknown) => {
        looping = false;
        log.error({ err: error }, 'webhook worker step failed');
        schedule(pollIntervalMs);
      },
    );
  }

  /** A send ended, so a slot is free: look for more work now rather than at the next poll. */
  function wake(): void {
    if (stopped || options.background === false) return;
    if (looping) wakeAgain = true;
    else schedule(0);
  }

  if (options.background !== false) schedule(pollIntervalMs);

  return {
    async step() {
      const { dispatched, started } = await serial(once);
      const report: StepReport = { dispatched, attempted: started.length, outcomes: {} };
      for (const outcome of await Promise.all(started)) {
        if (outcome !== undefined) report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
      }
      return report;
    },
    purge: () => purgeOldDeliveries(db),
    async metrics() {
      return {
        outcomes: { ...outcomes },
        errors: totals.errors,
        dispatchedEvents: totals.dispatchedEvents,
        createdDeliveries: totals.createdDeliveries,
        inFlight: sending.size,
        backlog: await readBacklog(db),
      };
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await chain;
      stopping.abort();
      await Promise.all(sending.values());
    },
  };
}
