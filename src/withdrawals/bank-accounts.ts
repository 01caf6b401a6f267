import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { signedInUserGone } from '../auth/permissions.ts';
import { type Database, type Queryable, violatedConstraint } from '../db/client.ts';
import { bankAccounts, users } from '../db/schema.ts';
import { AppError, invariant } from '../errors.ts';
import { PaystackError } from '../paystack/client.ts';
import type { BankDirectory } from './banks.ts';
import type { TransfersApi } from './paystack-transfers.ts';

/** SPEC "Money out": at most 10 saved bank accounts per user. */
export const MAX_BANK_ACCOUNTS = 10;

export interface BankAccount {
  id: string;
  bankCode: string;
  bankName: string;
  /** NUBAN: ten digits. */
  accountNumber: string;
  /** The holder's name as Paystack resolved it. */
  accountName: string;
  createdAt: Date;
}

/** The columns a `BankAccount` is read from. */
export const BANK_ACCOUNT_FIELDS = {
  id: bankAccounts.id,
  bankCode: bankAccounts.bankCode,
  bankName: bankAccounts.bankName,
  accountNumber: bankAccounts.accountNumber,
  accountName: bankAccounts.accountName,
  createdAt: bankAccounts.createdAt,
};

/**
 * Saves a Nigerian bank account for `userId` after resolving it with Paystack (`/bank/resolve`),
 * so the owner sees whose account it is before paying to it. Saving an account already saved
 * returns it unchanged (`created: false`).
 *
 * Throws AppError: `400 invalid_bank_code` (not in Paystack's list), `422
 * bank_account_unresolvable`, `409 bank_account_limit_reached` (`MAX_BANK_ACCOUNTS` saved),
 * `502 bank_provider_error` (Paystack unreachable, slow or failing), `401 invalid_token` (the user
 * was deleted).
 */
export async function addBankAccount(
  db: Database,
  paystack: { api: Pick<TransfersApi, 'resolveAccount'>; banks: BankDirectory },
  input: { userId: string; bankCode: string; accountNumber: string },
): Promise<{ account: BankAccount; created: boolean }> {
  const { userId, bankCode, accountNumber } = input;
  invariant(/^[0-9]{10}$/.test(accountNumber), 'a NUBAN is validated at the edge');
  const existing = await findSaved(db, userId, bankCode, accountNumber);
  if (existing) return { account: existing, created: false };
  const bank = await paystack.banks.find(bankCode);
  await refuseBeyondLimit(db, userId);

  let resolved: Awaited<ReturnType<TransfersApi['resolveAccount']>>;
  try {
    resolved = await paystack.api.resolveAccount({ accountNumber, bankCode });
  } catch (error) {
    if (!(error instanceof PaystackError)) throw error;
    throw new AppError(
      'bank_provider_error',
      'Paystack could not resolve the account just now: try again shortly',
      {
        cause: error,
      },
    );
  }
  if (!resolved) {
    throw new AppError(
      'bank_account_unresolvable',
      `${bank.name} has no account ${accountNumber} that Paystack can resolve: check the number and the bank`,
    );
  }

  return db.transaction(async (tx) => {
    // The user's row lock serializes this user's additions, so the limit cannot be raced.
    const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
    if (!user) throw signedInUserGone();
    const again = await findSaved(tx, userId, bankCode, accountNumber);
    if (again) return { account: again, created: false };
    await refuseBeyondLimit(tx, userId);
    try {
      const [account] = await tx
        .insert(bankAccounts)
        .values({ userId, bankCode, bankName: bank.name, accountNumber, accountName: resolved.accountName })
        .returning(BANK_ACCOUNT_FIELDS);
      invariant(account, 'the insert returned the account');
      return { account, created: true };
    } catch (error) {
      if (violatedConstraint(error) === 'bank_accounts_user_id_users_id_fk') throw signedInUserGone();
      throw error;
    }
  });
}

/** The user's saved bank accounts, oldest first. */
export async function listBankAccounts(db: Queryable, userId: string): Promise<BankAccount[]> {
  return db
    .select(BANK_ACCOUNT_FIELDS)
    .from(bankAccounts)
    .where(and(eq(bankAccounts.userId, userId), isNull(bankAccounts.deletedAt)))
    .orderBy(bankAccounts.createdAt, bankAccounts.id);
}

/**
 * Removes one of the user's saved accounts: no new withdrawal can pay to it, while withdrawals
 * made to it still show it. Another user's id, or one removed before, is `404 bank_account_not_found`.
 */
export async function removeBankAccount(db: Queryable, userId: string, id: string): Promise<void> {
  const removed = await db
    .update(bankAccounts)
    .set({ deletedAt: sql`now()` })
    .where(and(eq(bankAccounts.id, id), eq(bankAccounts.userId, userId), isNull(bankAccounts.deletedAt)))
    .returning({ id: bankAccounts.id });
  if (removed.length === 0)
    throw new AppError('bank_account_not_found', 'You have no saved bank account with this id');
}

async function findSaved(
  db: Queryable,
  userId: string,
  bankCode: string,
  accountNumber: string,
): Promise<BankAccount | undefined> {
  const [account] = await db
    .select(BANK_ACCOUNT_FIELDS)
    .from(bankAccounts)
    .where(
      and(
        eq(bankAccounts.userId, userId),
        eq(bankAccounts.bankCode, bankCode),
        eq(bankAccounts.accountNumber, accountNumber),
        isNull(bankAccounts.deletedAt),
      ),
    );
  return account;
}

async function refuseBeyondLimit(db: Queryable, userId: string): Promise<void> {
  const [saved] = await db
    .select({ count: count() })
    .from(bankAccounts)
    .where(and(eq(bankAccounts.userId, userId), isNull(bankAccounts.deletedAt)));
  if ((saved?.count ?? 0) >= MAX_BANK_ACCOUNTS) {
    throw new AppError(
      'bank_account_limit_reached',
      `You have ${MAX_BANK_ACCOUNTS} saved bank accounts: remove one before adding another`,
    );
  }
}
