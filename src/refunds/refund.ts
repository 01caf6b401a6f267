import { eq } from 'drizzle-orm';
import { type Database, retryTransaction } from '../db/client.ts';
import { deposits } from '../db/schema.ts';
import { postRefund, RefundRefusedError } from '../ledger/refunds.ts';
import { flagEvent } from './flags.ts';

/**
 * What a refund event did: `refunded` (money taken back; `shortfall` > 0 means the wallet now owes
 * it and is frozen), `duplicate` (this refund was taken before), `unknown_reference` (no deposit
 * of ours), `flagged` (signed but not acted on; recorded for review).
 */
export type RefundOutcome =
  | {
      kind: 'refunded' | 'duplicate';
      reference: string;
      refundKey: string;
      walletNumber: string;
      /** Kobo. */
      amount: bigint;
      taken: bigint;
      shortfall: bigint;
      frozen: boolean;
      debt: bigint;
    }
  | { kind: 'unknown_reference'; reference: string }
  | { kind: 'flagged'; reference: string; reason: string };

/**
 * Applies `refund.processed` (SPEC "Refunds"): the refunded amount leaves the wallet of the
 * deposit `transactionReference` exactly once per Paystack refund reference, partial refunds
 * included; what the wallet lacks becomes its debt and freezes it (`postRefund`). A refund with no
 * refund reference, in another currency, for a deposit never credited, or beyond what the
 * deposit brought is flagged for review and moves nothing.
 */
export async function applyRefund(
  db: Database,
  refund: { transactionReference: string; refundReference: string | null; amount: bigint; currency: string },
): Promise<RefundOutcome> {
  const reference = refund.transactionReference;
  return retryTransaction(() =>
    db.transaction(async (tx): Promise<RefundOutcome> => {
      const [deposit] = await tx
        .select({ id: deposits.id, currency: deposits.currency })
        .from(deposits)
        .where(eq(deposits.reference, reference));
      if (!deposit) return { kind: 'unknown_reference', reference };
      const refusal =
        refund.refundReference === null
          ? 'refund.processed names no refund reference, so it cannot be taken exactly once'
          : refund.currency !== deposit.currency
            ? `refund in ${refund.currency} for a deposit in ${deposit.currency}`
            : refund.amount <= 0n
              ? 'refund of no money'
              : undefined;
      const refundKey = refund.refundReference;
      if (refusal !== undefined || refundKey === null) {
        const reason = refusal ?? 'no refund reference';
        await flagEvent(tx, { event: 'refund.processed', reference, reason });
        return { kind: 'flagged', reference, reason };
      }
      try {
        const posted = await tx.transaction((inner) =>
          postRefund(inner, { depositId: deposit.id, refundKey, amount: refund.amount }),
        );
        return {
          kind: posted.result,
          reference,
          refundKey,
          walletNumber: posted.walletNumber,
          amount: refund.amount,
          taken: posted.taken,
          shortfall: posted.shortfall,
          frozen: posted.frozen,
          debt: posted.debt,
        };
      } catch (error) {
        if (!(error instanceof RefundRefusedError)) throw error;
        const reason = `refund ${refundKey} of ${refund.amount} kobo not taken: ${error.message}`;
        await flagEvent(tx, { event: 'refund.processed', reference, reason });
        return { kind: 'flagged', reference, reason };
      }
    }),
  );
}
