import { type SQL, sql } from 'drizzle-orm';
import { type Database, type Queryable, queryRows } from '../db/client.ts';
import { webhookIdOf } from './endpoints.ts';
import { postWebhook, type SendResult, signedHeaders, webhookBody } from './send.ts';
import { checkWebhookUrl, DEFAULT_RESOLVE_TIMEOUT_MS, type UrlPolicy } from './url-guard.ts';

/**
 * Added to the send's own bounds (resolution and WEBHOOK_TIMEOUT) to make a claim's lease: room
 * for recording the outcome on a slow database. Until the lease ends no other instance claims the
 * delivery; a process that dies mid-attempt leaves it to be retried once the lease ends.
 */
const LEASE_MARGIN_MS = 30_000;
/** Each scheduled delay is moved by up to this fraction either way, so retries of many deliveries spread out. */
const RETRY_JITTER = 0.1;
/** Due deliveries looked at per claimed one: room for those of endpoints already at their limit. */
const CANDIDATES_PER_CLAIM = 4;

/** How long a claim holds a delivery, in ms: a send never takes longer than this. */
export function leaseMsFor(timeoutMs: number): number {
  return DEFAULT_RESOLVE_TIMEOUT_MS + timeoutMs + LEASE_MARGIN_MS;
}

/** A delivery this instance claimed, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  /** Attempts made before this one. */
  attempt: number;
  endpointId: string;
  type: string;
  data: unknown;
  /** When the event was recorded: the body's `timestamp`. */
  occurredAt: Date;
  url: string;
  secret: string;
  /** The rotated-out secret while it still signs (24 hours), else `null`. */
  previousSecret: string | null;
  endpointStatus: 'enabled' | 'disabled';
  endpointDeleted: boolean;
}

interface ClaimRow {
  id: string;
  attempt: number;
  endpoint_id: string;
  type: string;
  data: unknown;
  occurred_at: Date | string;
  url: string;
  secret: string;
  previous_secret: string | null;
  endpoint_status: 'enabled' | 'disabled';
  endpoint_deleted: boolean;
}

function uuidArray(ids: readonly string[]): SQL {
  if (ids.length === 0) return sql`array[]::uuid[]`;
  return sql`array[${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )}]::uuid[]`;
}

function intArray(values: readonly number[]): SQL {
  if (values.length === 0) return sql`array[]::int[]`;
  return sql`array[${sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  )}]::int[]`;
}

/**
 * Claims up to `limit` due pending deliveries (`next_attempt_at <= now()`), earliest due first, in
 * one short statement: the rows are locked `FOR UPDATE SKIP LOCKED` and their `next_attempt_at`
 * is pushed `leaseMs` ahead before it commits, so no other instance claims them while this one
 * sends (outside any transaction). At most `perEndpoint` per endpoint, minus those of
 * `inFlight` (this instance's sends in progress, by endpoint id); endpoints already at the limit
 * are skipped in the scan, so a slow endpoint's queue never stands in front of others'.
 */
export async function claimDueDeliveries(
  db: Queryable,
  options: { limit: number; perEndpoint: number; inFlight: ReadonlyMap<string, number>; leaseMs: number },
): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const full: string[] = [];
  const partial: string[] = [];
  const room: number[] = [];
  for (const [endpointId, sending] of options.inFlight) {
    if (sending >= options.perEndpoint) full.push(endpointId);
    else if (sending > 0) {
      partial.push(endpointId);
      room.push(options.perEndpoint - sending);
    }
  }
  const rows = await queryRows<ClaimRow>(
    db,
    sql`with candidates as (
          select id, endpoint_id, next_attempt_at from webhook_deliveries
           where status = 'pending' and next_attempt_at <= now()
             and endpoint_id <> all (${uuidArray(full)})
           order by next_attempt_at
           limit ${options.limit * CANDIDATES_PER_CLAIM}
             for update skip locked
        ), ranked as (
          select c.id, c.next_attempt_at,
                 row_number() over (partition by c.endpoint_id order by c.next_attempt_at, c.id) as rank,
                 coalesce(busy.room, ${options.perEndpoint}) as room
            from candidates c
            left join unnest(${uuidArray(partial)}, ${intArray(room)}) as busy(endpoint_id, room)
                   on busy.endpoint_id = c.endpoint_id
        ), chosen as (
          select id from ranked where rank <= room order by next_attempt_at, id limit ${options.limit}
        )
        update webhook_deliveries d
           set next_attempt_at = now() + make_interval(secs => ${options.leaseMs / 1000}), updated_at = now()
          from chosen, outbox_events o, webhook_endpoints e
         where d.id = chosen.id and o.id = d.event_id and e.id = d.endpoint_id
        returning d.id, d.attempt, d.endpoint_id, o.type, o.data, o.created_at as occurred_at, e.url, e.secret,
                  case when e.previous_secret_expires_at > now() then e.previous_secret end as previous_secret,
                  e.status as endpoint_status, e.deleted_at is not null as endpoint_deleted`,
  );
  return rows.map((row) => ({
    id: row.id,
    attempt: row.attempt,
    endpointId: row.endpoint_id,
    type: row.type,
    data: row.data,
    occurredAt: new Date(row.occurred_at),
    url: row.url,
    secret: row.secret,
    previousSecret: row.previous_secret,
    endpointStatus: row.endpoint_status,
    endpointDeleted: row.endpoint_deleted,
  }));
}

/**
 * The delay before the next attempt after `attemptsMade` attempts (WEBHOOK_RETRY_SCHEDULE's
 * `schedule[attemptsMade - 1]`, moved by up to ±10%), in ms, or `undefined` once the schedule is
 * spent: `schedule.length + 1` attempts in all.
 */
export function retryDelayMs(
  schedule: readonly number[],
  attemptsMade: number,
  random: () => number = Math.random,
): number | undefined {
  const delay = schedule[attemptsMade - 1];
  if (delay === undefined) return undefined;
  return Math.round(delay * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** How one claimed delivery ended this time (for the worker's counts). */
export type AttemptOutcome =
  /** A 2xx: `delivered`. */
  | 'delivered'
  /** Failed; another attempt is scheduled. */
  | 'retrying'
  /** Failed and the schedule is spent: `failed`. */
  | 'failed'
  /** A `410 Gone`: the delivery `failed` and its endpoint disabled. */
  | 'gone'
  /** Its endpoint was deleted or disabled: `failed` without a send. */
  | 'skipped'
  /** The worker stopped mid-send: handed back, due now. */
  | 'released'
  /** The lease ran out and another instance recorded this attempt first: nothing recorded here. */
  | 'lost';

export interface AttemptContext {
  db: Database;
  policy: UrlPolicy;
  timeoutMs: number;
  retryScheduleMs: readonly number[];
  /** Aborted when the worker stops: a send in progress ends and its delivery is handed back. */
  stop: AbortSignal;
}

/** The status check of every outcome update: only the claim that made this attempt records it. */
function claimedRow(delivery: ClaimedDelivery): SQL {
  return sql`id = ${delivery.id} and status = 'pending' and attempt = ${delivery.attempt}`;
}

async function updated(db: Queryable, statement: SQL): Promise<boolean> {
  return (await queryRows<{ id: string }>(db, statement)).length > 0;
}

/** Ends the delivery `failed` without an attempt: its endpoint is gone. */
async function skip(db: Queryable, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
  const reason = delivery.endpointDeleted ? 'endpoint deleted' : 'endpoint disabled';
  const done = await updated(
    db,
    sql`update webhook_deliveries set status = 'failed', last_error = ${reason}, next_attempt_at = null,
               updated_at = now()
         where ${claimedRow(delivery)} returning id`,
  );
  return done ? 'skipped' : 'lost';
}

/** A failed attempt: retried on the schedule, or `failed` once it is spent. */
async function recordFailure(
  ctx: AttemptContext,
  delivery: ClaimedDelivery,
  responseStatus: number | null,
  reason: string,
): Promise<AttemptOutcome> {
  const attempts = delivery.attempt + 1;
  const delay = retryDelayMs(ctx.retryScheduleMs, attempts);
  const done = await updated(
    ctx.db,
    sql`update webhook_deliveries
           set attempt = ${attempts}, response_status = ${responseStatus}, last_error = ${reason},
               status = ${delay === undefined ? 'failed' : 'pending'},
               next_attempt_at = ${delay === undefined ? sql`null` : sql`now() + make_interval(secs => ${delay / 1000})`},
               updated_at = now()
         where ${claimedRow(delivery)} returning id`,
  );
  if (!done) return 'lost';
  return delay === undefined ? 'failed' : 'retrying';
}

/** A `410 Gone`: the receiver says the endpoint is no more, so it is disabled and this delivery ends. */
async function recordGone(ctx: AttemptContext, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
  return ctx.db.transaction(async (tx) => {
    const done = await updated(
      tx,
      sql`update webhook_deliveries
             set attempt = ${delivery.attempt + 1}, response_status = 410, status = 'failed',
                 last_error = 'receiver answered 410 Gone: endpoint disabled', next_attempt_at = null,
                 updated_at = now()
           where ${claimedRow(delivery)} returning id`,
    );
    if (!done) return 'lost';
    await tx.execute(
      sql`update webhook_endpoints
             set status = 'disabled',
                 disabled_reason = 'the receiver answered 410 Gone at ' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           where id = ${delivery.endpointId} and status = 'enabled'`,
    );
    return 'gone';
  });
}

async function recordDelivered(
  db: Queryable,
  delivery: ClaimedDelivery,
  responseStatus: number,
): Promise<AttemptOutcome> {
  const done = await updated(
    db,
    sql`update webhook_deliveries
           set attempt = ${delivery.attempt + 1}, response_status = ${responseStatus}, status = 'delivered',
               last_error = null, next_attempt_at = null, updated_at = now()
         where ${claimedRow(delivery)} returning id`,
  );
  return done ? 'delivered' : 'lost';
}

/** The worker stopped mid-send: the delivery is due again now, for any instance, as if never claimed. */
async function release(db: Queryable, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
  const done = await updated(
    db,
    sql`update webhook_deliveries set next_attempt_at = now(), updated_at = now()
         where ${claimedRow(delivery)} returning id`,
  );
  return done ? 'released' : 'lost';
}

function describeFailure(result: Exclude<SendResult, { kind: 'aborted' }>, timeoutMs: number): string {
  if (result.kind === 'timeout') return `no answer within ${timeoutMs} ms`;
  if (result.kind === 'unreachable') return `could not connect: ${result.reason}`;
  if (result.status >= 300 && result.status < 400)
    return `receiver answered ${result.status} (redirects are not followed)`;
  return `receiver answered ${result.status}`;
}

/**
 * Makes one attempt of a claimed delivery and records how it went (SPEC "Notifications to client
 * applications"): a deleted or disabled endpoint gets no request (`failed`); the URL is checked
 * again (`checkWebhookUrl`, resolving the host in production; a refusal is a failed attempt);
 * then the body `{"type", "timestamp", "data"}` is POSTed with the Standard Webhooks headers,
 * signed with the endpoint's secret and, within 24 hours of a rotation, the previous one. A 2xx is
 * `delivered`; `410` disables the endpoint and fails the delivery; anything else (another status,
 * a 3xx, a timeout, no connection) is retried after the schedule's next delay, or `failed` once
 * the schedule is spent. The outcome is recorded only if this claim still holds the row (same
 * attempt, still pending). Database errors are thrown; the lease then makes the delivery due again.
 */
export async function attemptDelivery(
  ctx: AttemptContext,
  delivery: ClaimedDelivery,
): Promise<AttemptOutcome> {
  if (delivery.endpointDeleted || delivery.endpointStatus !== 'enabled') return skip(ctx.db, delivery);
  const target = await checkWebhookUrl(delivery.url, ctx.policy);
  if (!target.ok) return recordFailure(ctx, delivery, null, `URL refused: ${target.reason}`);

  const body = webhookBody(delivery);
  const secrets =
    delivery.previousSecret === null ? [delivery.secret] : [delivery.secret, delivery.previousSecret];
  const headers = signedHeaders(webhookIdOf(delivery.id), new Date(), body, secrets);
  const result = await postWebhook(target, body, headers, ctx.timeoutMs, ctx.stop);

  if (result.kind === 'aborted') return release(ctx.db, delivery);
  if (result.kind === 'answered' && result.status >= 200 && result.status < 300) {
    return recordDelivered(ctx.db, delivery, result.status);
  }
  if (result.kind === 'answered' && result.status === 410) return recordGone(ctx, delivery);
  const responseStatus = result.kind === 'answered' ? result.status : null;
  return recordFailure(ctx, delivery, responseStatus, describeFailure(result, ctx.timeoutMs));
}
