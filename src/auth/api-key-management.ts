import { and, count, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import {
  type Database,
  databaseErrorCode,
  type Queryable,
  type Transaction,
  violatedConstraint,
} from '../db/client.ts';
import { apiKeys, users } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { type Expiry, expiresAtFor } from './api-key-expiry.ts';
import { generateApiKey, type KeyMode } from './api-key-format.ts';
import { PERMISSIONS, type Permission, signedInUserGone } from './permissions.ts';

/** SPEC: at most this many active (unexpired, unrevoked) keys per user. */
export const MAX_ACTIVE_KEYS = 5;
/** `GET /keys` answers at most this many keys: every active one, then the newest inactive ones. */
export const MAX_LISTED_KEYS = 100;
export const MAX_KEY_NAME_LENGTH = 100;

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** The key as its owner sees it once, right after creation or rollover. */
export interface CreatedApiKey {
  id: string;
  name: string;
  /** The full secret: returned once, never stored. */
  apiKey: string;
  permissions: Permission[];
  expiresAt: Date;
  createdAt: Date;
}

/** The key as listed later: enough to recognise and manage it, nothing to use it with. */
export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  permissions: Permission[];
  status: ApiKeyStatus;
  expiresAt: Date;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * Test keys (`sk_test_`) while Paystack is the local simulator or a Paystack test account, so a
 * key can never be mistaken for one that moves real money; live keys (`sk_live_`) otherwise.
 */
export function apiKeyModeFor(paystackSecretKey: string | undefined): KeyMode {
  return paystackSecretKey === undefined || paystackSecretKey.startsWith('sk_test_') ? 'test' : 'live';
}

function statusOf(key: { revokedAt: Date | null; expiresAt: Date }, now: Date): ApiKeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  return key.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** Stored in one canonical order, so a key's permissions read the same however they were sent. */
function canonicalPermissions(permissions: readonly string[]): Permission[] {
  return PERMISSIONS.filter((permission) => permissions.includes(permission));
}

function keyNotFound(): AppError {
  // Another user's key and no key at all answer alike, so ids reveal nothing about other users.
  return new AppError('api_key_not_found', 'You have no API key with this id');
}

function alreadyRolledOver(): AppError {
  return new AppError('api_key_already_rolled_over', 'This key has already been rolled over once');
}

/**
 * Serializes every key change of one user behind their row lock: the count of active keys read
 * next stays true until the transaction commits, so concurrent creates cannot exceed the limit.
 */
async function lockUser(tx: Transaction, userId: string): Promise<void> {
  const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
  if (!user) throw signedInUserGone();
}

async function assertBelowKeyLimit(tx: Transaction, userId: string, now: Date): Promise<void> {
  const [row] = await tx
    .select({ active: count() })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt), gt(apiKeys.expiresAt, now)));
  if ((row?.active ?? 0) >= MAX_ACTIVE_KEYS) {
    throw new AppError(
      'api_key_limit_reached',
      `You already have ${MAX_ACTIVE_KEYS} active API keys; revoke one or let one expire first`,
      { extensions: { limit: MAX_ACTIVE_KEYS } },
    );
  }
}

async function insertKey(
  tx: Transaction,
  fields: {
    userId: string;
    name: string;
    permissions: Permission[];
    expiry: Expiry;
    mode: KeyMode;
    now: Date;
    replacesKeyId: string | null;
  },
): Promise<CreatedApiKey> {
  const generated = generateApiKey(fields.mode);
  const [row] = await tx
    .insert(apiKeys)
    .values({
      userId: fields.userId,
      name: fields.name,
      prefix: generated.prefix,
      keyHash: generated.hash,
      permissions: fields.permissions,
      expiresAt: expiresAtFor(fields.now, fields.expiry),
      replacesKeyId: fields.replacesKeyId,
      createdAt: fields.now,
    })
    .returning({ id: apiKeys.id, expiresAt: apiKeys.expiresAt, createdAt: apiKeys.createdAt });
  invariant(row, 'api key insert returned a row');
  return {
    id: row.id,
    name: fields.name,
    apiKey: generated.key,
    permissions: fields.permissions,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
  };
}

export interface NewApiKey {
  userId: string;
  name: string;
  permissions: readonly Permission[];
  expiry: Expiry;
  mode: KeyMode;
}

/** Mints a key for the user, refusing a sixth active one. */
export async function createApiKey(db: Database, input: NewApiKey, now = new Date()): Promise<CreatedApiKey> {
  const name = input.name.trim();
  if (name === '') throw new AppError('validation_failed', 'body.name: must not be blank');
  return db.transaction(async (tx) => {
    await lockUser(tx, input.userId);
    await assertBelowKeyLimit(tx, input.userId, now);
    return insertKey(tx, {
      userId: input.userId,
      name,
      permissions: canonicalPermissions(input.permissions),
      expiry: input.expiry,
      mode: input.mode,
      now,
      replacesKeyId: null,
    });
  });
}

/** The user's keys: every active one first, then the others newest first, at most `MAX_LISTED_KEYS`. */
export async function listApiKeys(db: Queryable, userId: string, now = new Date()): Promise<ApiKeySummary[]> {
  const active = sql`(${apiKeys.revokedAt} is null and ${apiKeys.expiresAt} > ${now.toISOString()}::timestamptz)`;
  const rows = await db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      permissions: apiKeys.permissions,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(active), desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(MAX_LISTED_KEYS);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    permissions: canonicalPermissions(row.permissions),
    status: statusOf(row, now),
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  }));
}

export interface Rollover {
  userId: string;
  expiredKeyId: string;
  expiry: Expiry;
  mode: KeyMode;
}

/**
 * Replaces the user's expired key with a new one of the same name and permissions. Only an expired,
 * never revoked key qualifies, and only once: the successor records the key it replaces under a
 * unique index, so even a race the user lock somehow missed could not make two.
 */
export async function rolloverApiKey(
  db: Database,
  input: Rollover,
  now = new Date(),
): Promise<CreatedApiKey> {
  try {
    return await db.transaction(async (tx) => {
      await lockUser(tx, input.userId);
      const [old] = await tx
        .select({
          id: apiKeys.id,
          name: apiKeys.name,
          permissions: apiKeys.permissions,
          expiresAt: apiKeys.expiresAt,
          revokedAt: apiKeys.revokedAt,
        })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, input.expiredKeyId), eq(apiKeys.userId, input.userId)));
      if (!old) throw keyNotFound();
      // Revocation is final: a revoked key has no successor, expired or not.
      if (old.revokedAt !== null) {
        throw new AppError('api_key_revoked', 'A revoked key cannot be rolled over; create a new key', {
          variant: 'rollover',
        });
      }
      if (old.expiresAt.getTime() > now.getTime()) {
        throw new AppError(
          'api_key_not_expired',
          `The key is still active until ${old.expiresAt.toISOString()}; only an expired key can be rolled over`,
          { extensions: { expires_at: old.expiresAt.toISOString() } },
        );
      }
      const [successor] = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(eq(apiKeys.replacesKeyId, old.id));
      if (successor) throw alreadyRolledOver();
      await assertBelowKeyLimit(tx, input.userId, now);
      return insertKey(tx, {
        userId: input.userId,
        name: old.name,
        permissions: canonicalPermissions(old.permissions),
        expiry: input.expiry,
        mode: input.mode,
        now,
        replacesKeyId: old.id,
      });
    });
  } catch (error) {
    if (
      databaseErrorCode(error) === '23505' &&
      violatedConstraint(error) === 'api_keys_replaces_key_id_idx'
    ) {
      throw alreadyRolledOver();
    }
    throw error;
  }
}

/**
 * Revokes the user's key at once: the next request with it fails on every instance, since keys are
 * looked up in the database on each request. Idempotent: revoking a revoked key succeeds again and
 * keeps the first revocation time, so a retried DELETE is harmless.
 */
export async function revokeApiKey(
  db: Queryable,
  input: { userId: string; keyId: string },
  now = new Date(),
): Promise<void> {
  const revoked = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(apiKeys.id, input.keyId), eq(apiKeys.userId, input.userId)))
    .returning({ id: apiKeys.id });
  if (revoked.length === 0) throw keyNotFound();
}
