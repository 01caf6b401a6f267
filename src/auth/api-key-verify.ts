import { eq, sql } from 'drizzle-orm';
import { databaseErrorCode, preparedPerDatabase, type Queryable } from '../db/client.ts';
import { accounts, wallets } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { debtAccounts, WALLET_COLUMNS, walletFromRow } from '../ledger/wallets.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-format.ts';
import type { Permission, Principal, WalletSnapshot } from './permissions.ts';

/**
 * The refusals of the `api_key_use` database function (`src/ledger/sql/07_api_key_use.sql`) by
 * SQLSTATE, for every statement that checks a key through it: `401 invalid_api_key`,
 * `api_key_revoked`, `api_key_expired`.
 */
export const API_KEY_REFUSALS: Readonly<Record<string, () => AppError>> = {
  WL011: () => new AppError('invalid_api_key', 'The API key is not recognised'),
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

/** The columns `api_key_use` answers, as read from it under the alias `k`. */
const KEY_COLUMNS = {
  id: sql<string>`k.api_key_id`,
  userId: sql<string>`k.key_user_id`,
  permissions: sql<string[]>`k.key_permissions`,
};
const keyUse = sql`api_key_use(${sql.placeholder('keyHash')}) k`;

/** Runs on every request made with an API key, so it is prepared once. */
const apiKeyByHash = preparedPerDatabase((db) => db.select(KEY_COLUMNS).from(keyUse).prepare('api_key_use'));

/**
 * The same, with the owner's wallet read in the same statement, for routes that read it: a keyed
 * balance read is then one round trip, and a revoked key is still refused at once, on every
 * instance, as nothing is cached.
 */
const apiKeyWithWalletByHash = preparedPerDatabase((db) =>
  db
    .select({ ...KEY_COLUMNS, ...WALLET_COLUMNS })
    .from(keyUse)
    .leftJoin(wallets, sql`${wallets.userId} = k.key_user_id`)
    .leftJoin(accounts, eq(accounts.id, wallets.accountId))
    .leftJoin(debtAccounts, eq(debtAccounts.id, wallets.debtAccountId))
    .prepare('api_key_use_with_wallet'),
);

/** Runs `statement`, turning the refusals of `api_key_use` into theirs (`API_KEY_REFUSALS`). */
async function checkingKey<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    const refusal = API_KEY_REFUSALS[databaseErrorCode(error) ?? ''];
    if (refusal) throw refusal();
    throw error;
  }
}

/**
 * Turns a presented API key into its owner's principal in one statement (`api_key_use`), or says
 * precisely why not: `401 invalid_api_key` (malformed or unknown), `api_key_revoked` or
 * `api_key_expired`. The statement refreshes the key's `last_used_at` at most once a minute. With
 * `withWallet`, the principal carries the owner's wallet, read in the same statement.
 */
export async function resolveApiKey(
  db: Queryable,
  key: string,
  options: { withWallet?: boolean } = {},
): Promise<Principal> {
  const keyHash = apiKeyHashOf(key);
  let row: { id: string; userId: string; permissions: string[] } | undefined;
  let wallet: WalletSnapshot | undefined;
  if (options.withWallet) {
    const [found] = await checkingKey(apiKeyWithWalletByHash(db).execute({ keyHash }));
    row = found;
    wallet = found === undefined ? undefined : walletFromRow(found);
  } else {
    [row] = await checkingKey(apiKeyByHash(db).execute({ keyHash }));
  }
  invariant(row !== undefined, 'api_key_use answers one row or raises');
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
 * Records a use of the key whose hash is `keyHash` (its `last_used_at`, at most once a minute),
 * for a statement that checked the key and was then refused, undoing its own record with it.
 * Refusals of the key itself are ignored: there is no use to record.
 */
export async function recordApiKeyUse(db: Queryable, keyHash: Buffer): Promise<void> {
  try {
    await apiKeyByHash(db).execute({ keyHash });
  } catch (error) {
    if (API_KEY_REFUSALS[databaseErrorCode(error) ?? ''] === undefined) throw error;
  }
}
