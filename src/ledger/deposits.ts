import { sql } from 'drizzle-orm';
import { type Queryable, queryRows } from '../db/client.ts';
import { invariant } from '../errors.ts';

/**
 * Credits a claimed deposit (status `success`, not yet credited) to its owner's wallet: the
 * wallet gains the amount, the Paystack clearing account (`paystack:clearing`, money Paystack
 * holds for us, the only account allowed below zero) owes it, and the deposit is linked to the
 * ledger transaction. One statement, the `deposit_credit` database function
 * (`sql/20_deposit_credit.sql`), which posts through `ledger_post` with the deposit's reference
 * as the ledger reference, whose uniqueness makes a second credit of the same deposit fail rather
 * than pay. Call it last in the transaction that claimed the deposit: the clearing account stays
 * locked until that commits.
 */
export async function creditDeposit(tx: Queryable, depositId: string): Promise<{ transactionId: string }> {
  const [row] = await queryRows<{ transaction_id: string }>(
    tx,
    sql`select deposit_credit(${depositId}::uuid) as transaction_id`,
  );
  invariant(row?.transaction_id, 'deposit_credit returned the ledger transaction');
  return { transactionId: row.transaction_id };
}
