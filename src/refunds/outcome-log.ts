import type { LogEntry } from '../withdrawals/settlement-log.ts';
import type { DisputeOutcome } from './dispute.ts';
import type { RefundOutcome } from './refund.ts';

/**
 * How a refund is logged (SPEC: every freeze, shortfall and flagged event at error level, with
 * the wallet and the reason). Kobo as strings, as bigint has no JSON form.
 */
export function refundLogEntry(outcome: RefundOutcome): LogEntry {
  switch (outcome.kind) {
    case 'unknown_reference':
      return {
        level: 'warn',
        fields: { reference: outcome.reference },
        message: 'refund for an unknown deposit: ignored',
      };
    case 'flagged':
      return {
        level: 'error',
        fields: { reference: outcome.reference, reason: outcome.reason },
        message: 'refund NOT applied and flagged for review',
      };
    case 'duplicate':
      return {
        level: 'info',
        fields: { reference: outcome.reference, refund: outcome.refundKey },
        message: 'duplicate refund.processed: already taken back',
      };
    case 'refunded': {
      const fields = {
        reference: outcome.reference,
        refund: outcome.refundKey,
        wallet: outcome.walletNumber,
        amount: String(outcome.amount),
        taken: String(outcome.taken),
        shortfall: String(outcome.shortfall),
        debt: String(outcome.debt),
      };
      return outcome.shortfall > 0n
        ? {
            level: 'error',
            fields,
            message: 'refund exceeded the wallet: shortfall recorded as debt, wallet FROZEN',
          }
        : { level: 'info', fields, message: 'refund taken back from the wallet' };
    }
  }
}

/** How a dispute event is logged: an opening (a freeze) and a loss with a shortfall at error level. */
export function disputeLogEntry(outcome: DisputeOutcome): LogEntry {
  switch (outcome.kind) {
    case 'unknown_reference':
      return {
        level: 'warn',
        fields: { reference: outcome.reference },
        message: 'dispute for an unknown deposit: ignored',
      };
    case 'flagged':
      return {
        level: 'error',
        fields: { reference: outcome.reference, reason: outcome.reason },
        message: 'dispute NOT applied and flagged for review',
      };
    case 'duplicate':
      return {
        level: 'info',
        fields: { reference: outcome.reference, dispute: outcome.disputeId },
        message: 'duplicate dispute event: already applied',
      };
    case 'opened':
      return {
        level: 'error',
        fields: {
          reference: outcome.reference,
          dispute: outcome.disputeId,
          wallet: outcome.walletNumber,
          amount: String(outcome.amount),
          reason: outcome.frozenReason,
        },
        message: 'dispute opened: wallet FROZEN',
      };
    case 'won':
      return {
        level: 'info',
        fields: {
          reference: outcome.reference,
          dispute: outcome.disputeId,
          wallet: outcome.walletNumber,
          unfrozen: outcome.unfrozen,
        },
        message: 'dispute won',
      };
    case 'lost': {
      const fields = {
        reference: outcome.reference,
        dispute: outcome.disputeId,
        wallet: outcome.walletNumber,
        amount: String(outcome.amount),
        taken: String(outcome.taken),
        shortfall: String(outcome.shortfall),
        unfrozen: outcome.unfrozen,
      };
      return outcome.shortfall > 0n
        ? { level: 'error', fields, message: 'dispute lost: shortfall recorded as debt, wallet stays FROZEN' }
        : { level: 'warn', fields, message: 'dispute lost: the disputed amount was taken back' };
    }
  }
}
