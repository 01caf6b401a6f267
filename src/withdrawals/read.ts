import { and, eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { bankAccounts, withdrawals } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { WithdrawalStatus } from '../ledger/withdrawals.ts';
import { BANK_ACCOUNT_FIELDS, type BankAccount } from './bank-accounts.ts';

export interface WithdrawalView {
  reference: string;
  status: WithdrawalStatus;
  /** Kobo paid to the bank account. */
  amount: bigint;
  /** Kobo charged on top. */
  fee: bigint;
  bankAccount: BankAccount;
  /** Why it failed or was reversed; null otherwise. */
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The user's withdrawal `reference`, with the bank account it pays (also when that account was
 * removed since). Another user's reference is as unknown as a made-up one:
 * `404 withdrawal_not_found`.
 */
export async function getWithdrawal(
  db: Queryable,
  userId: string,
  reference: string,
): Promise<WithdrawalView> {
  const [row] = await db
    .select({
      reference: withdrawals.reference,
      status: withdrawals.status,
      amount: withdrawals.amount,
      fee: withdrawals.fee,
      failureReason: withdrawals.failureReason,
      createdAt: withdrawals.createdAt,
      updatedAt: withdrawals.updatedAt,
      bankAccount: BANK_ACCOUNT_FIELDS,
    })
    .from(withdrawals)
    .innerJoin(bankAccounts, eq(bankAccounts.id, withdrawals.bankAccountId))
    .where(and(eq(withdrawals.reference, reference), eq(withdrawals.userId, userId)));
  if (!row) throw new AppError('withdrawal_not_found', 'You have no withdrawal with this reference');
  return row;
}
