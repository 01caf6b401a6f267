import type { Database } from '../db/client.ts';
import { confirmDeposit, type DepositConfirmation } from '../deposits/confirm.ts';
import { AppError } from '../errors.ts';
import { type Settlement, settleWithdrawal, type WithdrawalOutcome } from '../ledger/withdrawals.ts';
import { countPosting, paystackWebhooks } from '../observability/metrics.ts';
import { type PaystackEvent, parsePaystackEvent, type TransferEvent } from '../paystack/events.ts';
import { verifyWebhookSignature } from '../paystack/signature.ts';
import { type DisputeOutcome, openDispute, resolveDispute } from '../refunds/dispute.ts';
import { applyRefund, type RefundOutcome } from '../refunds/refund.ts';

/** What a webhook delivery did; the caller logs it, at error level for what a person must see. */
export type WebhookOutcome =
  | { kind: 'deposit'; confirmation: DepositConfirmation }
  | { kind: 'refund'; refund: RefundOutcome }
  | { kind: 'dispute'; dispute: DisputeOutcome }
  | { kind: 'withdrawal'; event: TransferEvent; settlement: Settlement }
  | { kind: 'ignored_event'; event: string }
  /** Signed, but with text PostgreSQL cannot store: acknowledged so Paystack stops, and not acted on. */
  | { kind: 'unstorable_event'; detail: string };

export interface PaystackWebhook {
  rawBody: Buffer | undefined;
  signature: string | string[] | undefined;
  secretKey: string;
}

const OUTCOME_OF: Record<TransferEvent, WithdrawalOutcome> = {
  'transfer.success': 'success',
  'transfer.failed': 'failed',
  'transfer.reversed': 'reversed',
};

/**
 * Handles one Paystack webhook delivery: checks the signature over the bytes received (`401
 * invalid_signature` otherwise, and nothing changes), then acts on the event: `charge.success`
 * confirms the matching pending deposit (`confirmDeposit`); `transfer.success`, `transfer.failed`
 * and `transfer.reversed` settle the matching withdrawal (`settleWithdrawal`), exactly once in
 * any order; `refund.processed` takes a refund back from the wallet (`applyRefund`);
 * `charge.dispute.create` and `charge.dispute.resolve` freeze the wallet and then unfreeze it or
 * take the disputed amount back (`openDispute`, `resolveDispute`). Unknown events and references
 * change nothing. A signed event it cannot read is
 * `400 invalid_event`, so Paystack delivers it again while someone looks. Makes no outbound call,
 * so Paystack gets its answer quickly.
 */
export async function receivePaystackWebhook(
  db: Database,
  webhook: PaystackWebhook,
): Promise<WebhookOutcome> {
  const rawBody = webhook.rawBody ?? Buffer.alloc(0);
  if (!verifyWebhookSignature(rawBody, webhook.signature, webhook.secretKey)) {
    throw new AppError('invalid_signature', 'x-paystack-signature is missing or does not match the body');
  }
  const event = parsePaystackEvent(rawBody);
  if (event.kind === 'unreadable') {
    // Not 200: Paystack keeps redelivering, so the event is not lost while someone looks.
    throw new AppError('invalid_event', `The event is signed but unreadable: ${event.detail}`);
  }
  const outcome = await applyEvent(db, event);
  countEvent(event.kind, outcome);
  return outcome;
}

async function applyEvent(
  db: Database,
  event: Exclude<PaystackEvent, { kind: 'unreadable' }>,
): Promise<WebhookOutcome> {
  switch (event.kind) {
    case 'other':
      return { kind: 'ignored_event', event: event.event };
    case 'unstorable':
      // 200, not 4xx: a redelivery would carry the same text, so retrying cannot help.
      return { kind: 'unstorable_event', detail: event.detail };
    case 'charge.success':
      return { kind: 'deposit', confirmation: await confirmDeposit(db, event) };
    case 'transfer.success':
    case 'transfer.failed':
    case 'transfer.reversed': {
      const settlement = await settleWithdrawal(db, {
        reference: event.reference,
        outcome: OUTCOME_OF[event.kind],
        transferCode: event.transferCode,
        reported: { amount: event.amount, currency: event.currency },
      });
      return { kind: 'withdrawal', event: event.kind, settlement };
    }
    case 'refund.processed':
      return { kind: 'refund', refund: await applyRefund(db, event) };
    case 'charge.dispute.create':
      return { kind: 'dispute', dispute: await openDispute(db, event) };
    case 'charge.dispute.resolve':
      return { kind: 'dispute', dispute: await resolveDispute(db, event) };
  }
}

/** The `outcome` label of a webhook event's metric: what it did, from a fixed set. */
function outcomeLabel(outcome: WebhookOutcome): string {
  switch (outcome.kind) {
    case 'deposit':
      return outcome.confirmation.kind;
    case 'refund':
      return outcome.refund.kind;
    case 'dispute':
      return outcome.dispute.kind;
    case 'withdrawal':
      return outcome.settlement.result;
    case 'ignored_event':
      return 'ignored';
    case 'unstorable_event':
      return 'unstorable';
  }
}

/**
 * Counts what an applied event did: the event, by its kind (`other` for every event this service
 * ignores, so a sender cannot mint labels), and the ledger transactions it committed.
 */
function countEvent(type: PaystackEvent['kind'], outcome: WebhookOutcome): void {
  paystackWebhooks.inc({ type, outcome: outcomeLabel(outcome) });
  if (outcome.kind === 'refund' && outcome.refund.kind === 'refunded')
    countPosting('refund', outcome.refund.amount);
  if (outcome.kind === 'dispute' && outcome.dispute.kind === 'lost')
    countPosting('refund', outcome.dispute.amount);
}
