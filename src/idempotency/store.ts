import { createHash } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import { signedInUserGone } from '../auth/permissions.ts';
import {
  type Database,
  databaseErrorCode,
  type Queryable,
  retryTransaction,
  violatedConstraint,
} from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';
import { AppError, invariant, isErrorCode } from '../errors.ts';

/** As Stripe: keys up to 255 printable characters, remembered for at least 24 hours. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);
export const IDEMPOTENCY_RETENTION_HOURS = 24;

export interface IdempotencyScope {
  userId: string;
  key: string;
  /** SHA-256 of method, path and canonical body: the same key with another request is refused. */
  requestHash: string;
}

/** A response as it was first sent: its status and JSON body, replayed byte-for-byte in meaning on a retry. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/**
 * A request made with an `Idempotency-Key`: the key's scope, and the response that answers the
 * request's result. The caller (the route) decides that response; the work stores it with the key
 * in the transaction that did the work.
 */
export interface IdempotentRequest<T> {
  scope: IdempotencyScope;
  answer: (result: T) => StoredResponse;
}

/**
 * A domain refusal as first answered; replayed as the same problem. Rows keep the shape earlier
 * versions wrote and read: `status` is stored though a replay takes it from the error catalogue,
 * where a code's status never changes.
 */
interface StoredRefusal {
  status: number;
  code: string;
  message: string;
  extensions: Record<string, unknown>;
}

/** The stored answer to a key already answered: a response, or a domain refusal to render as a problem. */
export type Replay = { replayed: true; response: StoredResponse } | { replayed: true; refusal: AppError };

/** What became of an idempotent request: its result, a domain refusal (stored), or a replay of the first answer. */
export type IdempotentOutcome<T> =
  | { replayed: false; result: T }
  | { replayed: false; refusal: AppError }
  | Replay;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The scope of `userId`'s request sent with `key` (none without a key): the key and the hash of
 * method, route path and canonical body. A malformed key is `400 validation_failed`.
 */
export function idempotencyScope(
  userId: string,
  key: string | undefined,
  request: { method: string; path: string; body: unknown },
): IdempotencyScope | undefined {
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new AppError(
      'validation_failed',
      'headers.idempotency-key: must be 1 to 255 printable ASCII characters',
    );
  }
  const requestHash = createHash('sha256')
    .update(`${request.method.toUpperCase()} ${request.path}\n${canonicalJson(request.body)}`)
    .digest('hex');
  return { userId, key, requestHash };
}

function isStoredRefusal(body: unknown): body is { refusal: StoredRefusal } {
  return typeof body === 'object' && body !== null && 'refusal' in body;
}

function replayRefusal(stored: StoredRefusal): AppError {
  const { code, message, extensions } = stored;
  invariant(isErrorCode(code), `a stored refusal's code ${code} is in the error catalogue`);
  return new AppError(code, message, { extensions });
}

function requestInProgress(): AppError {
  return new AppError(
    'idempotency_request_in_progress',
    'A request with this Idempotency-Key is still running',
  );
}

/** Inserts the key's row; valid credentials of a user deleted since cannot, for want of the user row. */
async function insertClaim(tx: Queryable, scope: IdempotencyScope): Promise<boolean> {
  try {
    const inserted = await tx
      .insert(idempotencyKeys)
      .values({ userId: scope.userId, key: scope.key, requestHash: scope.requestHash, state: 'in_progress' })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    return inserted.length > 0;
  } catch (error) {
    if (
      databaseErrorCode(error) === '23503' &&
      violatedConstraint(error) === 'idempotency_keys_user_id_users_id_fk'
    ) {
      throw signedInUserGone();
    }
    throw error;
  }
}

/**
 * Claims the key for this request inside `tx`. A concurrent request holding the same key in an
 * uncommitted transaction makes this insert wait until that transaction ends, so concurrent
 * retries are serialized by PostgreSQL itself: the later one then finds the stored response.
 * Returns the stored response when the key has already been answered.
 *
 * `abandonedAfterMs` is for requests that commit their claim before finishing (a deposit claims
 * its key, then calls Paystack): a claim left `in_progress` for longer than any such request can
 * take belongs to a process that died mid-request, and the same request may take it over instead
 * of being refused until the key expires. Of concurrent retries, one takes it over.
 */
export async function claimIdempotencyKey(
  tx: Queryable,
  scope: IdempotencyScope,
  options: { abandonedAfterMs?: number } = {},
): Promise<Replay | undefined> {
  if (await insertClaim(tx, scope)) return undefined;

  const [existing] = await tx
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, scope.userId), eq(idempotencyKeys.key, scope.key)));
  if (!existing) throw requestInProgress();
  if (existing.requestHash !== scope.requestHash) {
    throw new AppError(
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request; use a new key for a new request',
    );
  }
  if (existing.state === 'in_progress' && options.abandonedAfterMs !== undefined) {
    const takenOver = await tx
      .update(idempotencyKeys)
      .set({ updatedAt: sql`now()` })
      .where(
        and(
          eq(idempotencyKeys.userId, scope.userId),
          eq(idempotencyKeys.key, scope.key),
          eq(idempotencyKeys.state, 'in_progress'),
          lt(
            idempotencyKeys.updatedAt,
            sql`now() - make_interval(secs => ${options.abandonedAfterMs / 1000})`,
          ),
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (takenOver.length > 0) return undefined;
  }
  if (existing.state !== 'completed' || existing.responseStatus === null) throw requestInProgress();
  if (isStoredRefusal(existing.responseBody)) {
    return { replayed: true, refusal: replayRefusal(existing.responseBody.refusal) };
  }
  return { replayed: true, response: { status: existing.responseStatus, body: existing.responseBody } };
}

/** Records the answer to the claimed key's request; call in the transaction that did the work. */
export async function storeIdempotentResponse(
  tx: Queryable,
  scope: IdempotencyScope,
  response: StoredResponse,
): Promise<void> {
  await tx
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      responseStatus: response.status,
      responseBody: response.body,
      updatedAt: sql`now()`,
    })
    .where(and(eq(idempotencyKeys.userId, scope.userId), eq(idempotencyKeys.key, scope.key)));
}

/**
 * Forgets a claimed key whose request failed in a way worth retrying (the provider was down), so
 * the client's retry with the same key does the work afresh; for requests whose work cannot run
 * inside one database transaction with the key, as a call to Paystack cannot.
 */
export async function releaseIdempotencyKey(tx: Queryable, scope: IdempotencyScope): Promise<void> {
  await tx
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.userId, scope.userId),
        eq(idempotencyKeys.key, scope.key),
        eq(idempotencyKeys.state, 'in_progress'),
      ),
    );
}

async function storeRefusal(tx: Queryable, scope: IdempotencyScope, error: AppError): Promise<void> {
  const refusal: StoredRefusal = {
    status: error.status,
    code: error.code,
    message: error.message,
    extensions: { ...error.extensions },
  };
  await storeIdempotentResponse(tx, scope, { status: error.status, body: { refusal } });
}

/**
 * Runs `work` in one database transaction together with the idempotency record: the stored
 * response can never disagree with what happened, even across a crash. A domain refusal (4xx) is
 * remembered like a success and its changes undone; anything else rolls back everything, key
 * included, so the client may retry.
 *
 * Without a request (no key was sent), `work` runs directly on the database: it must then be
 * atomic on its own, as the ledger's single-statement postings are.
 */
export async function runIdempotent<T>(
  db: Database,
  request: IdempotentRequest<T> | undefined,
  work: (db: Queryable) => Promise<T>,
): Promise<IdempotentOutcome<T>> {
  if (!request) return { replayed: false, result: await retryTransaction(() => work(db)) };
  const { scope, answer } = request;
  return retryTransaction(() =>
    db.transaction(async (tx): Promise<IdempotentOutcome<T>> => {
      const stored = await claimIdempotencyKey(tx, scope);
      if (stored) return stored;
      try {
        const result = await tx.transaction(work);
        await storeIdempotentResponse(tx, scope, answer(result));
        return { replayed: false, result };
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        await storeRefusal(tx, scope, error);
        return { replayed: false, refusal: error };
      }
    }),
  );
}

/** Forgets keys older than the retention period; returns how many were deleted. */
export async function purgeExpiredIdempotencyKeys(db: Queryable, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_HOURS * 3600_000);
  const deleted = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, cutoff))
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
