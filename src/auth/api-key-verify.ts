import { eq, sql } from 'drizzle-orm';
import { preparedPerDatabase, type Queryable } from '../db/client.ts';
import { accounts, apiKeys, wallets } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { debtAccounts, WALLET_COLUMNS, walletFromRow } from '../ledger/wallets.ts';
import { hashApiKey, isWellFormedApiKey } from './api-key-format.ts';
import type { Permission, Principal, WalletSnapshot } from './permissions.ts';

/** `last_used_at` is informational: refreshing it at most this often keeps reads free of writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

const KEY_COLUMNS = {
  id: apiKeys.id,
  userId: apiKeys.userId,
  permissions: apiKeys.permissions,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

interface KeyRow {
  id: string;
  userId: string;
  permissions: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

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

/**
 * Turns a presented API key into its owner's principal, or says precisely why not: `401`
 * `invalid_api_key` (malformed or unknown), `api_key_revoked` or `api_key_expired`. Refreshes the
 * key's `last_used_at` at most once a minute. With `withWallet`, the principal carries the owner's
 * wallet, read in the same statement.
 */
export async function resolveApiKey(
  db: Queryable,
  key: string,
  options: { withWallet?: boolean; now?: Date } = {},
): Promise<Principal> {
  const now = options.now ?? new Date();
  if (!isWellFormedApiKey(key)) throw new AppError('invalid_api_key', 'The API key is malformed');
  const keyHash = hashApiKey(key);
  let row: KeyRow | undefined;
  let wallet: WalletSnapshot | undefined;
  if (options.withWallet) {
    const [found] = await apiKeyWithWalletByHash(db).execute({ keyHash });
    row = found;
    wallet = found === undefined ? undefined : walletFromRow(found);
  } else {
    [row] = await apiKeyByHash(db).execute({ keyHash });
  }
  if (!row) throw new AppError('invalid_api_key', 'The API key is not recognised');
  if (row.revokedAt !== null) throw new AppError('api_key_revoked', 'The API key has been revoked');
  if (row.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('api_key_expired', 'The API key has expired; roll it over for a new one');
  }
  if (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(
        sql`${apiKeys.id} = ${row.id} and (${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < ${now})`,
      );
  }
  return {
    via: 'api_key',
    userId: row.userId,
    apiKeyId: row.id,
    permissions: row.permissions as Permission[],
    ...(wallet === undefined ? {} : { wallet }),
  };
}
