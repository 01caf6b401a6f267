import { sql } from 'drizzle-orm';
import { preparedPerDatabase, type Queryable, queryRows } from '../db/client.ts';
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

/** Runs on every `charge.success`, so it is prepared once. */
const depositClaimCredit = preparedPerDatabase((db) =>
  db
    .select({
      transactionId: sql<string>`transaction_id`,
      previouslyFailed: sql<boolean>`previously_failed`,
    })
    .from(
      sql`deposit_claim_credit(${sql.placeholder('reference')}, ${sql.placeholder('amount')}::bigint,
                               ${sql.placeholder('currency')})`,
    )
    .prepare('deposit_claim_credit'),
);

/**
 * Claims the deposit Paystack reports paid and credits it, in one statement that commits on its
 * own (`deposit_claim_credit`, `sql/25_deposit_claim_credit.sql`): the deposit whose reference,
 * amount (kobo) and currency all match, pending or failed without a flag. Returns the ledger
 * transaction and whether the deposit had been failed before, or `undefined` when no deposit could
 * be claimed (unknown reference, credited already, or another amount or currency), which the
 * caller tells apart. A concurrent duplicate waits for the first to commit and gets `undefined`.
 */
export async function claimAndCreditDeposit(
  db: Queryable,
  payment: { reference: string; amount: bigint; currency: string },
): Promise<{ transactionId: string; previouslyFailed: boolean } | undefined> {
  const [row] = await depositClaimCredit(db).execute(payment);
  return row;
}
