import { sql } from 'drizzle-orm';
import { type Queryable, queryRows } from '../db/client.ts';

/** Outbox events fanned out per statement: bounded, so one statement never locks an unbounded set. */
export const DISPATCH_BATCH_SIZE = 200;
/** Finished deliveries, and dispatched events no delivery refers to, are kept this long, then purged. */
export const RETENTION_DAYS = 30;
/** Rows deleted per purge statement, and statements per purge: a purge is bounded too. */
const PURGE_BATCH_SIZE = 1_000;
const MAX_PURGE_BATCHES = 100;

export interface DispatchReport {
  /** Outbox events claimed and marked dispatched. */
  events: number;
  /** Deliveries created for them (one per enabled endpoint of the user taking the type). */
  deliveries: number;
}

/**
 * Fans out up to `batchSize` undispatched outbox events, oldest first, in one statement (so one
 * short transaction): each gets a pending delivery, due now, for every enabled, undeleted
 * endpoint of its user that takes its type, and is marked `dispatched_at`. The events are claimed
 * `FOR UPDATE SKIP LOCKED`, so instances fanning out at once take different events; the unique
 * (event_id, endpoint_id) index with `ON CONFLICT DO NOTHING` makes a repeated fan-out harmless.
 * An endpoint created after the event gets it too if it takes the type (events are recorded only
 * for users with an endpoint, so it is at most a short overlap).
 */
export async function dispatchEvents(
  db: Queryable,
  batchSize = DISPATCH_BATCH_SIZE,
): Promise<DispatchReport> {
  const [row] = await queryRows<{ events: number; deliveries: number }>(
    db,
    sql`with claimed as (
          select id, user_id, type from outbox_events
           where dispatched_at is null
           order by created_at
           limit ${batchSize}
             for update skip locked
        ), fanned as (
          insert into webhook_deliveries (event_id, endpoint_id, status, next_attempt_at)
          select c.id, e.id, 'pending', now()
            from claimed c
            join webhook_endpoints e on e.user_id = c.user_id
           where e.status = 'enabled' and e.deleted_at is null
             and (e.events is null or c.type = any (e.events))
          on conflict (event_id, endpoint_id) do nothing
          returning 1
        ), marked as (
          update outbox_events o set dispatched_at = now() from claimed c where o.id = c.id returning 1
        )
        select (select count(*) from marked)::int as events, (select count(*) from fanned)::int as deliveries`,
  );
  return { events: row?.events ?? 0, deliveries: row?.deliveries ?? 0 };
}

export interface PurgeReport {
  deliveries: number;
  events: number;
}

/** Runs `statement` (a bounded DELETE … RETURNING 1) until it deletes less than a batch, at most MAX_PURGE_BATCHES times. */
async function deleteInBatches(db: Queryable, statement: ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_PURGE_BATCHES; batch++) {
    const deleted = (await queryRows<{ one: number }>(db, statement)).length;
    total += deleted;
    if (deleted < PURGE_BATCH_SIZE) break;
  }
  return total;
}

/**
 * Deletes deliveries delivered or failed more than RETENTION_DAYS ago, then dispatched events of
 * that age that no delivery refers to any more, in bounded batches. Pending deliveries and their
 * events are kept whatever their age. Several instances may purge at once (`SKIP LOCKED`).
 */
export async function purgeOldDeliveries(db: Queryable): Promise<PurgeReport> {
  const deliveries = await deleteInBatches(
    db,
    sql`delete from webhook_deliveries
         where id in (select id from webhook_deliveries
                       where status <> 'pending' and created_at < now() - make_interval(days => ${RETENTION_DAYS})
                       limit ${PURGE_BATCH_SIZE}
                         for update skip locked)
        returning 1 as one`,
  );
  const events = await deleteInBatches(
    db,
    sql`delete from outbox_events
         where id in (select o.id from outbox_events o
                       where o.dispatched_at is not null
                         and o.created_at < now() - make_interval(days => ${RETENTION_DAYS})
                         and not exists (select 1 from webhook_deliveries d where d.event_id = o.id)
                       limit ${PURGE_BATCH_SIZE}
                         for update skip locked)
        returning 1 as one`,
  );
  return { deliveries, events };
}

export interface Backlog {
  /** Pending deliveries due now (counted up to BACKLOG_COUNT_LIMIT). */
  dueDeliveries: number;
  /** How long the oldest due delivery has waited, in ms; 0 when none is due. */
  oldestDueAgeMs: number;
  /** Outbox events not yet fanned out (counted up to BACKLOG_COUNT_LIMIT). */
  undispatchedEvents: number;
  /** How long the oldest of them has waited, in ms; 0 when none. */
  oldestUndispatchedAgeMs: number;
}

/** Counting stops here: past it the figure only says "very large", and the count stays cheap. */
export const BACKLOG_COUNT_LIMIT = 100_000;

/** The delivery backlog now, from the partial indexes on due deliveries and undispatched events. */
export async function readBacklog(db: Queryable): Promise<Backlog> {
  const [row] = await queryRows<{
    due: number;
    due_age_ms: number | string | null;
    undispatched: number;
    undispatched_age_ms: number | string | null;
  }>(
    db,
    sql`select
          (select count(*) from (select 1 from webhook_deliveries
                                  where status = 'pending' and next_attempt_at <= now()
                                  limit ${BACKLOG_COUNT_LIMIT}) due)::int as due,
          (select floor(extract(epoch from now() - min(next_attempt_at)) * 1000)::float8
             from webhook_deliveries where status = 'pending' and next_attempt_at <= now()) as due_age_ms,
          (select count(*) from (select 1 from outbox_events where dispatched_at is null
                                  limit ${BACKLOG_COUNT_LIMIT}) waiting)::int as undispatched,
          (select floor(extract(epoch from now() - min(created_at)) * 1000)::float8
             from outbox_events where dispatched_at is null) as undispatched_age_ms`,
  );
  return {
    dueDeliveries: row?.due ?? 0,
    oldestDueAgeMs: Math.max(0, Number(row?.due_age_ms ?? 0)),
    undispatchedEvents: row?.undispatched ?? 0,
    oldestUndispatchedAgeMs: Math.max(0, Number(row?.undispatched_age_ms ?? 0)),
  };
}
