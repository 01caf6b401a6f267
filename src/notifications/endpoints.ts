import { randomBytes } from 'node:crypto';
import { and, asc, count, DrizzleQueryError, eq, isNull, sql } from 'drizzle-orm';
import { type Database, type Queryable, queryRows, type Transaction } from '../db/client.ts';
import { outboxEvents, users, webhookDeliveries, webhookEndpoints } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { EVENT_TYPES, type EventType } from './outbox.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-guard.ts';

/** SPEC: at most this many endpoints per user (deleted ones do not count). */
export const MAX_ENDPOINTS_PER_USER = 10;
/** `webhook.test` events of one endpoint waiting for delivery at once; the queue of tests is bounded. */
export const MAX_PENDING_TESTS = 5;
/** How long a rotated-out secret keeps signing deliveries beside the new one (SPEC: 24 hours). */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60_000;
/** The type of the event `POST /webhooks/{id}/test` sends; never subscribed to, always delivered to that endpoint. */
export const TEST_EVENT_TYPE = 'webhook.test';
/** Random bytes in a signing secret (Standard Webhooks: 24 to 64). */
const SECRET_BYTES = 32;
export const MAX_DELIVERY_PAGE_SIZE = 100;
export const DEFAULT_DELIVERY_PAGE_SIZE = 20;

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** Event types delivered; `null`: every type, including types added later. */
  events: EventType[] | null;
  status: 'enabled' | 'disabled';
  /** Why the service disabled it (a `410 Gone` from the receiver); `null` while enabled. */
  disabledReason: string | null;
  createdAt: Date;
}

/** The endpoint as its owner sees it once, at creation: with the signing secret. */
export interface CreatedWebhookEndpoint extends WebhookEndpoint {
  /** `whsec_` + base64 of 32 random bytes (Standard Webhooks' form). */
  secret: string;
}

export interface WebhookDeliverySummary {
  /** The `webhook-id` header of every attempt: `msg_` + the delivery's UUID. */
  id: string;
  eventId: string;
  type: string;
  /** Attempts made so far. */
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  /** The HTTP status of the last attempt's answer; `null` when there was none (timeout, refused URL). */
  responseStatus: number | null;
  /** Why the last attempt failed, briefly; `null` after a success or before any attempt. */
  lastError: string | null;
  /** When the next attempt is due; `null` once delivered or failed. */
  nextAttemptAt: Date | null;
  createdAt: Date;
}

export interface DeliveryPage {
  items: WebhookDeliverySummary[];
  /** Opaque; absent on the last page. */
  nextCursor: string | undefined;
}

/** The `webhook-id` of a delivery: Standard Webhooks' `msg_` prefix and the row's UUID. */
export function webhookIdOf(deliveryId: string): string {
  return `msg_${deliveryId}`;
}

function newSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function endpointNotFound(): AppError {
  // Another user's endpoint and none at all answer alike, so ids reveal nothing about other users.
  return new AppError('webhook_endpoint_not_found', 'You have no webhook endpoint with this id');
}

/** Stored in the catalogue's order, so an endpoint's types read the same however they were sent. */
function canonicalEvents(events: readonly string[] | null): EventType[] | null {
  if (events === null) return null;
  return EVENT_TYPES.filter((type) => events.includes(type));
}

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  events: webhookEndpoints.events,
  status: webhookEndpoints.status,
  disabledReason: webhookEndpoints.disabledReason,
  createdAt: webhookEndpoints.createdAt,
};

function endpointOf(row: {
  id: string;
  url: string;
  events: string[] | null;
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  createdAt: Date;
}): WebhookEndpoint {
  return { ...row, events: canonicalEvents(row.events) };
}

/** The refusal for a URL `checkWebhookUrl` turned down, with its reason for the client. */
async function assertSafeUrl(url: string, policy: UrlPolicy): Promise<string> {
  const checked = await checkWebhookUrl(url, policy);
  if (!checked.ok) {
    throw new AppError('invalid_webhook_url', `The webhook URL is refused: ${checked.reason}`);
  }
  // The normalized form (punycode host, percent-encoding) is what will be called and shown.
  return checked.url.href;
}

/**
 * Runs `store`, whose query carries a signing secret as a parameter. Drizzle's error for a failed
 * query spells out its parameters (`DrizzleQueryError`: "Failed query: … params: …"), and so does
 * PGlite's own error underneath (`params`), while the request's error log prints what it is given;
 * so the error is replaced by a plain one with the driver's message, SQLSTATE and constraint only,
 * which is all the error handler reads (`503` for a database that is away).
 */
async function keepingSecretOutOfErrors<T>(store: () => Promise<T>): Promise<T> {
  try {
    return await store();
  } catch (error) {
    if (!(error instanceof DrizzleQueryError)) throw error;
    const cause: unknown = error.cause;
    const clean = new Error(
      cause instanceof Error ? cause.message : 'a query storing a webhook secret failed',
    );
    const { code, constraint } = (cause ?? {}) as { code?: unknown; constraint?: unknown };
    throw Object.assign(clean, {
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof constraint === 'string' ? { constraint } : {}),
    });
  }
}

/** Serializes one user's endpoint changes behind their row, so concurrent creates cannot pass the limit. */
async function lockUser(tx: Transaction, userId: string): Promise<void> {
  const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
  if (!user) throw new AppError('invalid_token', 'The signed-in user no longer exists');
}

/**
 * Registers `input.url` for the user's events of `input.events` (every type when absent), with a
 * new signing secret, returned this once. The URL must pass `checkWebhookUrl` under `policy`
 * (`400 invalid_webhook_url`, resolving its host in production); an eleventh endpoint is
 * `409 webhook_endpoint_limit_reached`. Only events recorded after this are delivered to it.
 */
export async function createEndpoint(
  db: Database,
  input: { userId: string; url: string; events?: readonly EventType[] },
  policy: UrlPolicy,
): Promise<CreatedWebhookEndpoint> {
  // Resolved before the transaction: no row lock is held while DNS answers.
  const url = await assertSafeUrl(input.url, policy);
  const events = canonicalEvents(input.events ?? null);
  return keepingSecretOutOfErrors(() => createInTransaction(db, input.userId, url, events));
}

async function createInTransaction(
  db: Database,
  userId: string,
  url: string,
  events: EventType[] | null,
): Promise<CreatedWebhookEndpoint> {
  return db.transaction(async (tx) => {
    await lockUser(tx, userId);
    const [row] = await tx
      .select({ endpoints: count() })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.userId, userId), isNull(webhookEndpoints.deletedAt)));
    if ((row?.endpoints ?? 0) >= MAX_ENDPOINTS_PER_USER) {
      throw new AppError(
        'webhook_endpoint_limit_reached',
        `You already have ${MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first`,
        { extensions: { limit: MAX_ENDPOINTS_PER_USER } },
      );
    }
    const secret = newSecret();
    const [created] = await tx
      .insert(webhookEndpoints)
      .values({ userId, url, events, secret, status: 'enabled' })
      .returning(endpointColumns);
    invariant(created, 'webhook endpoint insert returned a row');
    return { ...endpointOf(created), secret };
  });
}

/** The user's endpoints that are not deleted, oldest first (at most MAX_ENDPOINTS_PER_USER), without secrets. */
export async function listEndpoints(db: Queryable, userId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.userId, userId), isNull(webhookEndpoints.deletedAt)))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
    .limit(MAX_ENDPOINTS_PER_USER);
  return rows.map(endpointOf);
}

/**
 * Deletes the user's endpoint (`deleted_at`): nothing more is sent to it, its pending deliveries
 * end `failed` when their turn comes, and its deliveries stay readable. An unknown, deleted or
 * other user's endpoint is `404 webhook_endpoint_not_found`.
 */
export async function deleteEndpoint(
  db: Queryable,
  input: { userId: string; endpointId: string },
): Promise<void> {
  const deleted = await db
    .update(webhookEndpoints)
    .set({ deletedAt: sql`now()` })
    .where(
      and(
        eq(webhookEndpoints.id, input.endpointId),
        eq(webhookEndpoints.userId, input.userId),
        isNull(webhookEndpoints.deletedAt),
      ),
    )
    .returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw endpointNotFound();
}

/**
 * Gives the endpoint a new signing secret, returned this once. The one it replaces keeps signing
 * beside it for PREVIOUS_SECRET_TTL_MS (the `webhook-signature` header then carries both), so a
 * receiver can switch without missing a delivery; a secret rotated out earlier stops at once.
 */
export async function rotateSecret(
  db: Queryable,
  input: { userId: string; endpointId: string },
): Promise<{ secret: string }> {
  const secret = newSecret();
  const rotated = await keepingSecretOutOfErrors(() =>
    db
      .update(webhookEndpoints)
      .set({
        previousSecret: sql`${webhookEndpoints.secret}`,
        previousSecretExpiresAt: sql`now() + make_interval(secs => ${PREVIOUS_SECRET_TTL_MS / 1000})`,
        secret,
      })
      .where(
        and(
          eq(webhookEndpoints.id, input.endpointId),
          eq(webhookEndpoints.userId, input.userId),
          isNull(webhookEndpoints.deletedAt),
        ),
      )
      .returning({ id: webhookEndpoints.id }),
  );
  if (rotated.length === 0) throw endpointNotFound();
  return { secret };
}

/**
 * Records a `webhook.test` event for this endpoint only and its delivery, due now, in one
 * transaction; the delivery workers send it like any other. At most MAX_PENDING_TESTS may wait at
 * once (`409 too_many_pending_webhook_tests`). Returns the delivery's `webhook-id`.
 */
export async function sendTestEvent(
  db: Database,
  input: { userId: string; endpointId: string },
): Promise<{ deliveryId: string }> {
  return db.transaction(async (tx) => {
    const [endpoint] = await tx
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.id, input.endpointId),
          eq(webhookEndpoints.userId, input.userId),
          isNull(webhookEndpoints.deletedAt),
        ),
      )
      .for('update');
    if (!endpoint) throw endpointNotFound();
    const [pending] = await queryRows<{ tests: number }>(
      tx,
      sql`select count(*)::int as tests
            from webhook_deliveries d join outbox_events o on o.id = d.event_id
           where d.endpoint_id = ${endpoint.id} and d.status = 'pending' and o.type = ${TEST_EVENT_TYPE}`,
    );
    if ((pending?.tests ?? 0) >= MAX_PENDING_TESTS) {
      throw new AppError(
        'too_many_pending_webhook_tests',
        `This endpoint already has ${MAX_PENDING_TESTS} test events waiting to be delivered`,
        { extensions: { limit: MAX_PENDING_TESTS } },
      );
    }
    // Dispatched at birth: the fan-out, which serves every endpoint of the user, never sees it.
    const [event] = await tx
      .insert(outboxEvents)
      .values({
        userId: input.userId,
        type: TEST_EVENT_TYPE,
        data: { endpoint_id: endpoint.id, message: 'A test event: your endpoint receives webhooks' },
        dispatchedAt: sql`now()`,
      })
      .returning({ id: outboxEvents.id });
    invariant(event, 'outbox event insert returned a row');
    const [delivery] = await tx
      .insert(webhookDeliveries)
      .values({ eventId: event.id, endpointId: endpoint.id, status: 'pending', nextAttemptAt: sql`now()` })
      .returning({ id: webhookDeliveries.id });
    invariant(delivery, 'webhook delivery insert returned a row');
    return { deliveryId: webhookIdOf(delivery.id) };
  });
}

/** The cursor is the last delivery seen; its own (created_at, id) is where the next page starts. */
function encodeCursor(deliveryId: string): string {
  return Buffer.from(`d:${deliveryId}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const match = /^d:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    Buffer.from(cursor, 'base64url').toString(),
  );
  if (!match) throw new AppError('invalid_cursor', 'The cursor is not one this service issued');
  return match[1] as string;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  type: string;
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  response_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | string | null;
  created_at: Date | string;
}

/**
 * One page of the endpoint's deliveries, newest first, walking the (endpoint_id, created_at DESC,
 * id DESC) index. The endpoint must be the user's (deleted ones too: their deliveries stay
 * readable), else `404 webhook_endpoint_not_found`. A cursor whose delivery has been purged
 * (30 days) ends the listing.
 */
export async function listDeliveries(
  db: Queryable,
  input: { userId: string; endpointId: string; limit: number; cursor: string | undefined },
): Promise<DeliveryPage> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const [endpoint] = await db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, input.endpointId), eq(webhookEndpoints.userId, input.userId)));
  if (!endpoint) throw endpointNotFound();
  const rows = await queryRows<DeliveryRow>(
    db,
    sql`select d.id, d.event_id, o.type, d.attempt, d.status, d.response_status, d.last_error,
               d.next_attempt_at, d.created_at
          from webhook_deliveries d join outbox_events o on o.id = d.event_id
         where d.endpoint_id = ${endpoint.id}
           ${
             after === undefined
               ? sql``
               : sql`and (d.created_at, d.id) < (select c.created_at, c.id from webhook_deliveries c
                                                   where c.id = ${after} and c.endpoint_id = ${endpoint.id})`
           }
         order by d.created_at desc, d.id desc
         limit ${input.limit + 1}`,
  );
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({
      id: webhookIdOf(row.id),
      eventId: row.event_id,
      type: row.type,
      attempt: row.attempt,
      status: row.status,
      responseStatus: row.response_status,
      lastError: row.last_error,
      nextAttemptAt:
        row.status === 'pending' && row.next_attempt_at !== null ? new Date(row.next_attempt_at) : null,
      createdAt: new Date(row.created_at),
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.id) : undefined,
  };
}
