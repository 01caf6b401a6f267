import { and, eq, sql } from 'drizzle-orm';
import { type Database, type Queryable, queryRows, retryTransaction } from '../db/client.ts';
import { deposits, disputes, wallets } from '../db/schema.ts';
import { invariant } from '../errors.ts';
import { postRefund, RefundRefusedError } from '../ledger/refunds.ts';
import { emitWalletFreeze } from '../notifications/outbox.ts';
import { flagEvent } from './flags.ts';

/**
 * Paystack's resolutions (`TRANSFERS.md` "Disputes"): the merchant accepting the claim, or
 * Paystack accepting it for the merchant, means the payer gets the money back; `declined` means
 * the merchant contested it and won.
 */
const LOST = new Set(['merchant-accepted', 'auto-accepted']);
const WON = new Set(['declined', 'merchant-declined']);

export type DisputeOutcome =
  | {
      kind: 'opened';
      reference: string;
      disputeId: string;
      walletNumber: string;
      amount: bigint;
      frozenReason: string;
    }
  | { kind: 'won'; reference: string; disputeId: string; walletNumber: string; unfrozen: boolean }
  | {
      kind: 'lost';
      reference: string;
      disputeId: string;
      walletNumber: string;
      /** Kobo taken back, and what of it the wallet lacked (now its debt). */
      amount: bigint;
      taken: bigint;
      shortfall: bigint;
      unfrozen: boolean;
    }
  | { kind: 'duplicate'; reference: string; disputeId: string }
  | { kind: 'unknown_reference'; reference: string }
  | { kind: 'flagged'; reference: string; reason: string };

interface DisputeEventData {
  disputeId: string;
  transactionReference: string;
  /** Kobo in dispute. */
  amount: bigint;
  currency: string;
}

interface DisputedDeposit {
  id: string;
  status: string;
  currency: string;
  walletAccountId: bigint;
  walletNumber: string;
}

async function disputedDeposit(tx: Queryable, reference: string): Promise<DisputedDeposit | undefined> {
  const [deposit] = await tx
    .select({
      id: deposits.id,
      status: deposits.status,
      currency: deposits.currency,
      walletAccountId: wallets.accountId,
      walletNumber: wallets.walletNumber,
    })
    .from(deposits)
    .innerJoin(wallets, eq(wallets.userId, deposits.userId))
    .where(eq(deposits.reference, reference))
    .for('update', { of: deposits });
  return deposit;
}

/** Records the dispute as open; false when it was recorded before (a redelivery). */
async function recordOpenDispute(
  tx: Queryable,
  event: DisputeEventData,
  depositId: string,
): Promise<boolean> {
  const opened = await tx
    .insert(disputes)
    .values({ paystackDisputeId: event.disputeId, depositId, amount: event.amount, status: 'open' })
    .onConflictDoNothing()
    .returning({ id: disputes.id });
  return opened.length > 0;
}

/** Why a dispute event cannot be acted on, or undefined when it can. */
function disputeRefusal(event: DisputeEventData, deposit: DisputedDeposit): string | undefined {
  if (deposit.status !== 'success') return `dispute ${event.disputeId} on a deposit that was never credited`;
  if (event.currency !== deposit.currency) {
    return `dispute ${event.disputeId} in ${event.currency} on a deposit in ${deposit.currency}`;
  }
  return undefined;
}

/**
 * `charge.dispute.create` (SPEC "Disputes"): records the dispute, once, and freezes the wallet
 * the disputed deposit credited, so the money cannot leave while the dispute is open. A dispute on
 * a deposit never credited, or in another currency, is flagged for review.
 */
export async function openDispute(db: Database, event: DisputeEventData): Promise<DisputeOutcome> {
  const reference = event.transactionReference;
  return retryTransaction(() =>
    db.transaction(async (tx): Promise<DisputeOutcome> => {
      const deposit = await disputedDeposit(tx, reference);
      if (!deposit) return { kind: 'unknown_reference', reference };
      const refusal = disputeRefusal(event, deposit);
      if (refusal) {
        await flagEvent(tx, { event: 'charge.dispute.create', reference, reason: refusal });
        return { kind: 'flagged', reference, reason: refusal };
      }
      const opened = await recordOpenDispute(tx, event, deposit.id);
      if (!opened) return { kind: 'duplicate', reference, disputeId: event.disputeId };
      const frozenReason = `dispute ${event.disputeId} opened on deposit ${reference} (${event.amount} kobo)`;
      const [before] = await tx
        .select({ frozenAt: wallets.frozenAt })
        .from(wallets)
        .where(eq(wallets.accountId, deposit.walletAccountId));
      await tx
        .update(wallets)
        .set({
          frozenAt: sql`coalesce(${wallets.frozenAt}, now())`,
          frozenReason: sql`coalesce(${wallets.frozenReason}, ${frozenReason})`,
        })
        .where(eq(wallets.accountId, deposit.walletAccountId));
      if (before?.frozenAt === null) await emitWalletFreeze(tx, deposit.walletNumber);
      return {
        kind: 'opened',
        reference,
        disputeId: event.disputeId,
        walletNumber: deposit.walletNumber,
        amount: event.amount,
        frozenReason,
      };
    }),
  );
}

/**
 * `charge.dispute.resolve` (SPEC "Disputes"): won (`declined`), the dispute closes and the wallet
 * is unfrozen unless it owes money or has another dispute open; lost (`merchant-accepted`,
 * `auto-accepted`), the disputed amount is taken back as a refund (`postRefund`, keyed
 * `dispute:<id>`, so exactly once; a shortfall becomes debt and keeps the wallet frozen). A
 * resolution whose creation was never received opens the dispute first. An unknown resolution,
 * or a refund the deposit cannot cover, is flagged for review.
 */
export async function resolveDispute(
  db: Database,
  event: DisputeEventData & { resolution: string | null },
): Promise<DisputeOutcome> {
  const reference = event.transactionReference;
  return retryTransaction(() =>
    db.transaction(async (tx): Promise<DisputeOutcome> => {
      const deposit = await disputedDeposit(tx, reference);
      if (!deposit) return { kind: 'unknown_reference', reference };
      const lost = LOST.has(event.resolution ?? '');
      const refusal =
        disputeRefusal(event, deposit) ??
        (lost || WON.has(event.resolution ?? '')
          ? undefined
          : `dispute ${event.disputeId} resolved as "${event.resolution}", which this service does not know`);
      if (refusal) {
        await flagEvent(tx, { event: 'charge.dispute.resolve', reference, reason: refusal });
        return { kind: 'flagged', reference, reason: refusal };
      }
      await recordOpenDispute(tx, event, deposit.id);
      const resolved = await tx
        .update(disputes)
        .set({ status: lost ? 'lost' : 'won', resolution: event.resolution, resolvedAt: sql`now()` })
        .where(and(eq(disputes.paystackDisputeId, event.disputeId), eq(disputes.status, 'open')))
        .returning({ id: disputes.id });
      if (resolved.length === 0) return { kind: 'duplicate', reference, disputeId: event.disputeId };

      let taken = 0n;
      let shortfall = 0n;
      let notTaken: string | undefined;
      if (lost) {
        try {
          const posted = await tx.transaction((inner) =>
            postRefund(inner, {
              depositId: deposit.id,
              refundKey: `dispute:${event.disputeId}`,
              amount: event.amount,
            }),
          );
          ({ taken, shortfall } = posted);
        } catch (error) {
          if (!(error instanceof RefundRefusedError)) throw error;
          notTaken = `dispute ${event.disputeId} lost, but ${event.amount} kobo could not be taken back: ${error.message}`;
          await flagEvent(tx, { event: 'charge.dispute.resolve', reference, reason: notTaken });
        }
      }
      // The dispute is over either way: its freeze goes unless a debt or another dispute holds one.
      const [unfreeze] = await queryRows<{ unfrozen: boolean }>(
        tx,
        sql`select wallet_unfreeze_if_clear(${deposit.walletAccountId}::bigint) as unfrozen`,
      );
      invariant(unfreeze !== undefined, 'wallet_unfreeze_if_clear answers');
      if (notTaken !== undefined) return { kind: 'flagged', reference, reason: notTaken };
      const common = {
        reference,
        disputeId: event.disputeId,
        walletNumber: deposit.walletNumber,
        unfrozen: unfreeze.unfrozen,
      };
      return lost
        ? { kind: 'lost', ...common, amount: event.amount, taken, shortfall }
        : { kind: 'won', ...common };
    }),
  );
}
