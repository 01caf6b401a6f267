import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { type Database, retryTransaction } from '../db/client.ts';
import { deposits } from '../db/schema.ts';
import { claimAndCreditDeposit, creditDeposit } from '../ledger/deposits.ts';
import { emitDepositsFailed } from '../notifications/outbox.ts';
import { countPosting } from '../observability/metrics.ts';

/** What a `charge.success` did; the caller logs it, at error level for `flagged`. */
export type DepositConfirmation =
  | { kind: 'credited'; reference: string; amount: bigint; previouslyFailed: boolean }
  | { kind: 'already_credited'; reference: string }
  | { kind: 'unknown_reference'; reference: string }
  /** Paystack took a payment this service will not credit: a person must look at it. */
  | { kind: 'flagged'; reference: string; reason: string };

/**
 * Marks a deposit successful and credits the wallet in one database statement when the payment
 * matches a deposit that can be claimed (`claimAndCreditDeposit`), and otherwise, to tell an
 * unknown, credited or mismatched deposit apart, in one transaction. The state change
 * is a guarded update (`… where status = 'pending' or (status = 'failed' and flagged_reason is
 * null)`): of concurrent duplicates, one takes the row and the rest wait for its commit, find it
 * successful and credit nothing. The ledger's unique reference would refuse a second credit even so.
 *
 * A deposit marked `failed` because Paystack once said so (a declined attempt, or our call timing
 * out) is still credited when Paystack later confirms a matching payment: the signed webhook is
 * the authority that the money arrived. One failed by a mismatch is flagged, never credited.
 */
export async function confirmDeposit(
  db: Database,
  payment: { reference: string; amount: bigint; currency: string },
): Promise<DepositConfirmation> {
  const { reference, amount, currency } = payment;
  // The common case, a pending deposit paid as asked, is one statement.
  const credited = await retryTransaction(() => claimAndCreditDeposit(db, payment));
  if (credited) {
    countPosting('deposit', amount);
    return { kind: 'credited', reference, amount, previouslyFailed: credited.previouslyFailed };
  }
  const confirmation = await retryTransaction(() =>
    db.transaction(async (tx): Promise<DepositConfirmation> => {
      const [claimed] = await tx
        .update(deposits)
        .set({ status: 'success', updatedAt: sql`now()` })
        .where(
          and(
            eq(deposits.reference, reference),
            eq(deposits.amount, amount),
            eq(deposits.currency, currency),
            or(
              eq(deposits.status, 'pending'),
              and(eq(deposits.status, 'failed'), isNull(deposits.flaggedReason)),
            ),
          ),
        )
        .returning({ id: deposits.id, failureReason: deposits.failureReason });
      if (claimed) {
        await creditDeposit(tx, claimed.id);
        // Every way to `failed` records a reason, and claiming leaves it in place: a claimed row
        // with a reason was failed until this moment.
        return { kind: 'credited', reference, amount, previouslyFailed: claimed.failureReason !== null };
      }

      const [deposit] = await tx
        .select({
          status: deposits.status,
          amount: deposits.amount,
          currency: deposits.currency,
          flaggedReason: deposits.flaggedReason,
        })
        .from(deposits)
        .where(eq(deposits.reference, reference))
        .for('update');
      if (!deposit) return { kind: 'unknown_reference', reference };
      if (deposit.status === 'success') return { kind: 'already_credited', reference };

      const reason =
        deposit.amount !== amount
          ? `Paystack reported ${amount} kobo for a deposit of ${deposit.amount} kobo`
          : deposit.currency !== currency
            ? `Paystack reported currency ${currency} for a deposit in ${deposit.currency}`
            : `Paystack reported a payment for a deposit flagged before: ${deposit.flaggedReason}`;
      // A deposit paid wrongly is over: it fails for its owner, and the flag (the first one is
      // kept) tells an operator that Paystack holds money to refund or reconcile.
      await tx
        .update(deposits)
        .set({
          status: 'failed',
          failureReason: 'payment_mismatch',
          flaggedReason: reason,
          updatedAt: sql`now()`,
        })
        .where(and(eq(deposits.reference, reference), isNull(deposits.flaggedReason)));
      if (deposit.status === 'pending') await emitDepositsFailed(tx, [reference]);
      return { kind: 'flagged', reference, reason };
    }),
  );
  if (confirmation.kind === 'credited') countPosting('deposit', confirmation.amount);
  return confirmation;
}
