import { eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Principal, signedInUserGone } from '../auth/permissions.ts';
import { preparedPerDatabase, type Queryable } from '../db/client.ts';
import { accounts, wallets } from '../db/schema.ts';
import { invariant } from '../errors.ts';
import { generateWalletNumber } from './wallet-number.ts';

/** A collision among 10^12 numbers is rare; this many in a row means something else is wrong. */
const MAX_WALLET_NUMBER_ATTEMPTS = 10;

export interface Wallet {
  accountId: bigint;
  walletNumber: string;
  /** Kobo the wallet can spend now (held withdrawals are not in it). */
  balance: bigint;
  /** Frozen wallets send nothing (SPEC "Reconciliation, refunds and disputes"). */
  frozen: boolean;
  /** Kobo the wallet owes: refunds it could not cover. */
  debt: bigint;
}

/** Opens the user's wallet (a ledger account with a wallet number); call inside a transaction. */
export async function openWallet(tx: Queryable, userId: string): Promise<Wallet> {
  const [account] = await tx.insert(accounts).values({ kind: 'wallet' }).returning({ id: accounts.id });
  invariant(account, 'account insert returned a row');
  for (let attempt = 0; attempt < MAX_WALLET_NUMBER_ATTEMPTS; attempt++) {
    const inserted = await tx
      .insert(wallets)
      .values({ accountId: account.id, userId, walletNumber: generateWalletNumber() })
      .onConflictDoNothing({ target: wallets.walletNumber })
      .returning({ walletNumber: wallets.walletNumber });
    if (inserted[0]) {
      return {
        accountId: account.id,
        walletNumber: inserted[0].walletNumber,
        balance: 0n,
        frozen: false,
        debt: 0n,
      };
    }
  }
  throw new Error(`No free wallet number after ${MAX_WALLET_NUMBER_ATTEMPTS} attempts`);
}

/** The wallet's debt account, joined as `debt`; see `WALLET_COLUMNS`. */
export const debtAccounts = alias(accounts, 'debt');

/**
 * What a read of a wallet selects, from `wallets` joined to its `accounts` row and left-joined to
 * `debtAccounts`: shared with the credential checks that read the wallet in the same statement.
 */
export const WALLET_COLUMNS = {
  accountId: wallets.accountId,
  walletNumber: wallets.walletNumber,
  balance: accounts.balance,
  frozenAt: wallets.frozenAt,
  // A debt account's balance is minus what the wallet owes.
  debtBalance: debtAccounts.balance,
};

/** A row of `WALLET_COLUMNS` as a Wallet; undefined when the left join found no wallet. */
export function walletFromRow(row: {
  accountId: bigint | null;
  walletNumber: string | null;
  balance: bigint | null;
  frozenAt: Date | null;
  debtBalance: bigint | null;
}): Wallet | undefined {
  if (row.accountId === null || row.walletNumber === null || row.balance === null) return undefined;
  return {
    accountId: row.accountId,
    walletNumber: row.walletNumber,
    balance: row.balance,
    frozen: row.frozenAt !== null,
    debt: row.debtBalance === null ? 0n : -row.debtBalance,
  };
}

/** Behind every signed-in request (it is also the check that the user still exists), so it is prepared once. */
const walletByUser = preparedPerDatabase((db) =>
  db
    .select(WALLET_COLUMNS)
    .from(wallets)
    .innerJoin(accounts, eq(accounts.id, wallets.accountId))
    .leftJoin(debtAccounts, eq(debtAccounts.id, wallets.debtAccountId))
    .where(eq(wallets.userId, sql.placeholder('userId')))
    .prepare('wallet_by_user'),
);

export async function findWalletByUser(db: Queryable, userId: string): Promise<Wallet | undefined> {
  const [row] = await walletByUser(db).execute({ userId });
  return row === undefined ? undefined : walletFromRow(row);
}

/**
 * The caller's wallet. Every user gets one at first sign-in, so valid credentials without one
 * belong to a user who was deleted since: `401 invalid_token`.
 */
export async function getWalletOfUser(db: Queryable, userId: string): Promise<Wallet> {
  const wallet = await findWalletByUser(db, userId);
  if (!wallet) throw signedInUserGone();
  return wallet;
}

/**
 * The principal's wallet: as its credentials' check read it in the same statement, or else read
 * now. Throws `401 invalid_token` like `getWalletOfUser`.
 */
export async function getWalletOfPrincipal(db: Queryable, principal: Principal): Promise<Wallet> {
  return principal.wallet ?? getWalletOfUser(db, principal.userId);
}
