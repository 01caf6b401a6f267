import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { PoolFigures } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { WebhookMetrics } from '../notifications/worker.ts';
import { httpRequestDuration, httpRequests, processRegistry } from '../observability/metrics.ts';

/** What one app contributes to `/metrics` beside the process's counters. */
export interface AppMetricSources {
  /** METRICS_TOKEN; without it only loopback requests are answered. */
  token: string | undefined;
  pool: () => PoolFigures | undefined;
  /** Sessions of this database waiting for a lock now; absent where it cannot be known (PGlite). */
  lockWaits: (() => Promise<number>) | undefined;
  webhooks: () => Promise<WebhookMetrics>;
}

/** Requests that reach no route share one label, so scanners cannot mint label values. */
const UNMATCHED_ROUTE = 'unmatched';

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/** Headers by which proxies name the client they forward for (nginx's X-Real-IP, CDNs' own). */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
];

/**
 * Loopback means the request itself came from this machine: its TCP peer and the client address
 * Fastify derived (TRUST_PROXY) are loopback, and it carries none of the usual forwarding
 * headers. A proxy on the same machine that adds one is thus refused; one that forwards with no
 * such header at all cannot be told from a local client, which is why production should set
 * METRICS_TOKEN (README).
 */
function fromThisMachine(request: FastifyRequest): boolean {
  const forwarded = FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
  return !forwarded && isLoopbackAddress(request.socket.remoteAddress) && isLoopbackAddress(request.ip);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, so neither the token's length nor its bytes leak through timing. */
function tokenMatches(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(sha256(match[1]), sha256(token));
}

/**
 * The app's own figures: its database pool and its outgoing webhook worker. The worker's outcomes
 * are running totals; each scrape adds what is new to a counter.
 */
function appRegistry(sources: AppMetricSources): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'wallet_db_pool_connections',
    help: 'Database connections of this instance: open (total), idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const figures = sources.pool();
      if (figures === undefined) return;
      this.set({ state: 'total' }, figures.total);
      this.set({ state: 'idle' }, figures.idle);
      this.set({ state: 'waiting' }, figures.waiting);
    },
  });

  const { lockWaits } = sources;
  if (lockWaits !== undefined) {
    new Gauge({
      name: 'wallet_db_lock_waits',
      help: "Sessions on the service's database waiting for a lock at the time of the scrape (every instance's)",
      registers: [registry],
      async collect() {
        this.set(await lockWaits());
      },
    });
  }

  let latest: Promise<WebhookMetrics> | undefined;
  // One read of the worker per scrape, shared by the figures below.
  const webhooks = (): Promise<WebhookMetrics> => {
    latest ??= sources.webhooks().finally(() => {
      latest = undefined;
    });
    return latest;
  };
  const counted: Record<string, number> = {};
  const deliveries = new Counter({
    name: 'wallet_webhook_deliveries_total',
    help: 'Outgoing webhook delivery attempts of this instance, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wallet_outbox_backlog',
    help: 'Outgoing webhook work waiting: deliveries due now, and outbox events not yet fanned out',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const figures = await webhooks();
      for (const [outcome, total] of Object.entries(figures.outcomes)) {
        const delta = total - (counted[outcome] ?? 0);
        if (delta > 0) deliveries.inc({ outcome }, delta);
        counted[outcome] = total;
      }
      this.set({ kind: 'due_deliveries' }, figures.backlog.dueDeliveries);
      this.set({ kind: 'undispatched_events' }, figures.backlog.undispatchedEvents);
    },
  });
  new Gauge({
    name: 'wallet_outbox_oldest_age_seconds',
    help: 'How long the oldest waiting item has waited, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const { backlog } = await webhooks();
      this.set({ kind: 'due_deliveries' }, backlog.oldestDueAgeMs / 1000);
      this.set({ kind: 'undispatched_events' }, backlog.oldestUndispatchedAgeMs / 1000);
    },
  });
  new Gauge({
    name: 'wallet_webhook_sends_in_flight',
    help: 'Outgoing webhook sends in progress in this instance',
    registers: [registry],
    async collect() {
      this.set((await webhooks()).inFlight);
    },
  });
  return registry;
}

/**
 * Counts every answered request by method, route template and status, with its latency. Register
 * it before the routes and the early 404/405, so that their answers are counted too.
 */
export function countRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    httpRequestDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}

/**
 * `GET /metrics` (SPEC "Operations"): Prometheus's text format, the process's figures
 * (`src/observability/metrics.ts`) and this app's. With METRICS_TOKEN it requires `Authorization:
 * Bearer <token>` (`401` otherwise); without, it answers only requests from this machine and is
 * `404` to everyone else.
 */
export function registerMetricsRoute(app: FastifyInstance, sources: AppMetricSources): void {
  const registry = Registry.merge([processRegistry, appRegistry(sources)]);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format. With METRICS_TOKEN set it requires `Authorization: Bearer <METRICS_TOKEN>`; ' +
          'without, it answers only requests from the machine itself.',
        hide: true,
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      if (sources.token === undefined) {
        if (!fromThisMachine(request)) throw new AppError('not_found', `No route for GET ${request.url}`);
      } else if (!tokenMatches(request.headers.authorization, sources.token)) {
        reply.header('www-authenticate', 'Bearer');
        throw new AppError('unauthenticated', 'Send Authorization: Bearer <METRICS_TOKEN>');
      }
      reply.header('cache-control', 'no-store').type(registry.contentType);
      return registry.metrics();
    },
  );
}
