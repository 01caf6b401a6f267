import type { Settlement } from '../ledger/withdrawals.ts';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

/**
 * How a settlement is logged, wherever it came from (webhook, verification, initiation): what a
 * person must act on (`flagged`) at error level; a late or contradicting report that changed
 * nothing at warn; the rest at info. Amounts as strings of kobo, as bigint has no JSON form.
 */
export function settlementLogEntry(settlement: Settlement, source: string): LogEntry {
  const fields: Record<string, unknown> = {
    reference: settlement.reference,
    outcome: settlement.outcome,
    source,
  };
  switch (settlement.result) {
    case 'unknown_reference':
      return {
        level: 'warn',
        fields,
        message: 'Paystack transfer outcome for an unknown reference: ignored',
      };
    case 'settled':
      return {
        level: 'info',
        fields: {
          ...fields,
          from: settlement.previousStatus,
          to: settlement.status,
          amount: String(settlement.amount),
          fee: String(settlement.fee),
        },
        message: `withdrawal ${settlement.status}`,
      };
    case 'duplicate':
      return { level: 'info', fields, message: 'duplicate Paystack transfer outcome: already applied' };
    case 'ignored':
      return {
        level: 'warn',
        fields: { ...fields, status: settlement.status },
        message: `Paystack reported ${settlement.outcome} for a withdrawal already ${settlement.status}: logged and ignored`,
      };
    case 'flagged':
      return {
        level: 'error',
        fields: { ...fields, status: settlement.status },
        message: 'Paystack transfer outcome NOT applied and flagged for review',
      };
  }
}
