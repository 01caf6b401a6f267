import type { SimulatedRecipient } from './recipients.ts';

/** The statuses a simulated transfer goes through; Paystack's others (TRANSFERS.md) never occur here. */
export type SimulatedTransferStatus = 'otp' | 'pending' | 'success' | 'failed' | 'reversed';

export interface SimulatedTransfer {
  id: number;
  /** `TRF_…` */
  transferCode: string;
  reference: string;
  /** Kobo, without the fee. */
  amount: number;
  /** Kobo, taken from the balance with the amount. */
  fee: number;
  reason: string;
  /** The recipient as it was when the transfer was made. */
  recipient: SimulatedRecipient;
  status: SimulatedTransferStatus;
  /** Why it failed or was reversed (Paystack's `gateway_response`). */
  failureReason: string | undefined;
  /** Paystack's `data.request` id. */
  requestId: number;
  /** The NIP session id of the payout, once sent. */
  sessionId: string | undefined;
  createdAt: Date;
  updatedAt: Date;
  transferredAt: Date | undefined;
}

/** A transfer in the state file: dates as ISO strings. */
export type SavedTransfer = Omit<
  SimulatedTransfer,
  'recipient' | 'createdAt' | 'updatedAt' | 'transferredAt'
> & {
  recipient: Omit<SimulatedRecipient, 'createdAt'> & { createdAt: string };
  createdAt: string;
  updatedAt: string;
  transferredAt?: string;
};

/** Transfers kept in memory; past this many the oldest are forgotten. */
const MAX_TRANSFERS = 10_000;
/** The newest transfers kept in the state file. */
const MAX_SAVED_TRANSFERS = 1_000;

/**
 * Paystack's NGN transfer fee in kobo: ₦10 up to ₦5,000, ₦25 up to ₦50,000, ₦50 above
 * (TRANSFERS.md "Amounts and fees", [P]).
 */
export function transferFee(amount: number): number {
  if (amount <= 500_000) return 1_000;
  if (amount <= 5_000_000) return 2_500;
  return 5_000;
}

/** The integration's transfers by reference. `changed()` persists them after a transfer moved on. */
export class SimulatedTransfers {
  private readonly byReference = new Map<string, SimulatedTransfer>();
  private readonly onChange: () => void;

  constructor(saved: readonly SavedTransfer[], onChange: () => void) {
    this.onChange = onChange;
    for (const transfer of saved) {
      this.keep({
        ...transfer,
        recipient: { ...transfer.recipient, createdAt: new Date(transfer.recipient.createdAt) },
        createdAt: new Date(transfer.createdAt),
        updatedAt: new Date(transfer.updatedAt),
        transferredAt: transfer.transferredAt === undefined ? undefined : new Date(transfer.transferredAt),
      });
    }
  }

  get(reference: string): SimulatedTransfer | undefined {
    return this.byReference.get(reference);
  }

  all(): IterableIterator<SimulatedTransfer> {
    return this.byReference.values();
  }

  remember(transfer: SimulatedTransfer): void {
    this.keep(transfer);
    this.onChange();
  }

  /** Moves `transfer` to `status` now and persists it. */
  update(transfer: SimulatedTransfer, status: SimulatedTransferStatus, failureReason?: string): void {
    transfer.status = status;
    transfer.updatedAt = new Date();
    if (failureReason !== undefined) transfer.failureReason = failureReason;
    this.onChange();
  }

  snapshot(): SavedTransfer[] {
    return [...this.byReference.values()].slice(-MAX_SAVED_TRANSFERS).map((transfer) => ({
      ...transfer,
      recipient: { ...transfer.recipient, createdAt: transfer.recipient.createdAt.toISOString() },
      createdAt: transfer.createdAt.toISOString(),
      updatedAt: transfer.updatedAt.toISOString(),
      transferredAt: transfer.transferredAt?.toISOString(),
    }));
  }

  private keep(transfer: SimulatedTransfer): void {
    if (this.byReference.size >= MAX_TRANSFERS) {
      const [oldest] = this.byReference.values();
      if (oldest) this.byReference.delete(oldest.reference);
    }
    this.byReference.set(transfer.reference, transfer);
  }
}
