import { eq, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { signedInUserGone } from '../auth/permissions.ts';
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

const debtAccounts = alias(accounts, 'debt');

/** Behind every balance read, so it is prepared once. */
const walletByUser = preparedPerDatabase((db) =>
  db
    .select({
      accountId: wallets.accountId,
      walletNumber: wallets.walletNumber,
      balance: accounts.balance,
      frozenAt: wallets.frozenAt,
      // A debt account's balance is minus what the wallet owes.
      debtBalance: debtAccounts.balance,
    })
    .from(wallets)
    .innerJoin(accounts, eq(accounts.id, wallets.accountId))
    .leftJoin(debtAccounts, eq(debtAccounts.id, wallets.debtAccountId))
    .where(eq(wallets.userId, sql.placeholder('userId')))
    .prepare('wallet_by_user'),
);

export async function findWalletByUser(db: Queryable, userId: string): Promise<Wallet | undefined> {
  const [row] = await walletByUser(db).execute({ userId });
  if (!row) return undefined;
  return {
    accountId: row.accountId,
    walletNumber: row.walletNumber,
    balance: row.balance,
    frozen: row.frozenAt !== null,
    debt: row.debtBalance === null ? 0n : -row.debtBalance,
  };
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
