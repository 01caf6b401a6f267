import { eq, sql } from 'drizzle-orm';
import { preparedPerDatabase, type Queryable } from '../db/client.ts';
import { accounts, apiKeys, wallets } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { debtAccounts, WALLET_COLUMNS, walletFromRow } from '../ledger/wallets.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-format.ts';
import type { Permission, Principal, WalletSnapshot } from './permissions.ts';

function unknownKey(): AppError {
  return new AppError('invalid_api_key', 'The API key is not recognised');
}

/**
 * The refusals of an API key by SQLSTATE: as `api_key_use` (`src/ledger/sql/07_api_key_use.sql`)
 * raises them in a keyed transfer, and as `api_key_refusal` names them to the credential check:
 * `401 invalid_api_key`, `api_key_revoked`, `api_key_expired`.
 */
export const API_KEY_REFUSALS: Readonly<Record<string, () => AppError>> = {
  WL011: unknownKey,
  WL012: () => new AppError('api_key_revoked', 'The API key has been revoked'),
  WL013: () => new AppError('api_key_expired', 'The API key has expired; roll it over for a new one'),
};

/**
 * The SHA-256 under which the key is stored, for a statement that checks the key itself; throws
 * `401 invalid_api_key` for a key that is not well formed (its checksum says no without a query).
 */
export function apiKeyHashOf(key: string): Buffer {
  if (!isWellFormedApiKey(key)) throw new AppError('invalid_api_key', 'The API key is malformed');
  return hashApiKey(key);
}

/**
 * A key's row as every keyed request checks it: its refusal and whether its use is to be recorded
 * come from the database functions that hold those rules (`api_key_refusal`, `api_key_use_due`),
 * which PostgreSQL inlines, so the statement stays a plain lookup by the hash's unique index.
 */
const KEY_COLUMNS = {
  id: apiKeys.id,
  userId: apiKeys.userId,
  permissions: apiKeys.permissions,
  refusal: sql<string | null>`api_key_refusal(${apiKeys.revokedAt}, ${apiKeys.expiresAt})`,
  useDue: sql<boolean>`api_key_use_due(${apiKeys.lastUsedAt})`,
};

/** Runs on every request made with an API key, so it is prepared once. */
const apiKeyByHash = preparedPerDatabase((db) =>
  db
    .select(KEY_COLUMNS)
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, sql.placeholder('keyHash')))
    .prepare('api_key_by_hash'),
);

/**
 * The same, with the owner's wallet read in the same statement, for routes that read it: a keyed
 * balance read is then one round trip, and a revoked key is still refused at once, on every
 * instance, as nothing is cached.
 */
const apiKeyWithWalletByHash = preparedPerDatabase((db) =>
  db
    .select({ ...KEY_COLUMNS, ...WALLET_COLUMNS })
    .from(apiKeys)
    .leftJoin(wallets, eq(wallets.userId, apiKeys.userId))
    .leftJoin(accounts, eq(accounts.id, wallets.accountId))
    .leftJoin(debtAccounts, eq(debtAccounts.id, wallets.debtAccountId))
    .where(eq(apiKeys.keyHash, sql.placeholder('keyHash')))
    .prepare('api_key_with_wallet_by_hash'),
);

interface KeyRow {
  id: string;
  userId: string;
  permissions: string[];
  refusal: string | null;
  useDue: boolean;
}

/** Records a use of the key `row` when `api_key_use_due` said it is due, in a statement of its own. */
async function recordUseIfDue(db: Queryable, row: KeyRow): Promise<void> {
  if (row.useDue) await db.execute(sql`select api_key_record_use(${row.id}::uuid)`);
}

/** The key's refusal (`API_KEY_REFUSALS`), if any, else its use recorded when due. */
async function checkKeyRow(db: Queryable, row: KeyRow | undefined): Promise<KeyRow> {
  if (row === undefined) throw unknownKey();
  if (row.refusal !== null) {
    const refusal = API_KEY_REFUSALS[row.refusal];
    invariant(refusal !== undefined, `api_key_refusal's ${row.refusal} is a key refusal`);
    throw refusal();
  }
  await recordUseIfDue(db, row);
  return row;
}

/**
 * Turns a presented API key into its owner's principal in one statement, or says precisely why
 * not: `401 invalid_api_key` (malformed or unknown), `api_key_revoked` or `api_key_expired`.
 * Records the key's use (`last_used_at`) at most once a minute, in a second statement then. With
 * `withWallet`, the principal carries the owner's wallet, read in the same statement.
 */
export async function resolveApiKey(
  db: Queryable,
  key: string,
  options: { withWallet?: boolean } = {},
): Promise<Principal> {
  const keyHash = apiKeyHashOf(key);
  let row: KeyRow;
  let wallet: WalletSnapshot | undefined;
  if (options.withWallet) {
    const [found] = await apiKeyWithWalletByHash(db).execute({ keyHash });
    row = await checkKeyRow(db, found);
    wallet = found === undefined ? undefined : walletFromRow(found);
  } else {
    const [found] = await apiKeyByHash(db).execute({ keyHash });
    row = await checkKeyRow(db, found);
  }
  return {
    via: 'api_key',
    userId: row.userId,
    apiKeyId: row.id,
    apiKeyHash: keyHash,
    permissions: row.permissions as Permission[],
    ...(wallet === undefined ? {} : { wallet }),
  };
}

/**
 * Records a use of the key whose hash is `keyHash` (its `last_used_at`, when due), for a statement
 * that checked the key and was then refused, undoing its own record with it. A key that is itself
 * refused has no use to record.
 */
export async function recordApiKeyUse(db: Queryable, keyHash: Buffer): Promise<void> {
  const [found] = await apiKeyByHash(db).execute({ keyHash });
  if (found !== undefined && found.refusal === null) await recordUseIfDue(db, found);
}
