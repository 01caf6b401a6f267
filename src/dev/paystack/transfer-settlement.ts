import { randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { MerchantBalance } from './merchant-balance.ts';
import { transferEvent } from './transfer-data.ts';
import type { SimulatedTransfer, SimulatedTransfers } from './transfers.ts';
import type { WebhookSender } from './webhook-sender.ts';

/** What becomes of a transfer, by the last digit of the account number (SPEC "Money out"). */
type Fate = 'fails' | 'succeeds_then_reversed' | 'succeeds';

function fateOf(transfer: SimulatedTransfer): Fate {
  const last = transfer.recipient.accountNumber.at(-1);
  return last === '1' ? 'fails' : last === '2' ? 'succeeds_then_reversed' : 'succeeds';
}

const FAILURE_REASON = 'Simulated failure: transfers to account numbers ending in 1 always fail';
const REVERSAL_REASON =
  'Simulated reversal: transfers to account numbers ending in 2 are reversed after success';

export interface TransferSettlementOptions {
  transfers: SimulatedTransfers;
  balance: MerchantBalance;
  webhooks: WebhookSender;
  /** How long after its creation a transfer settles, and after success a reversal comes. */
  delayMs: number;
  log: FastifyBaseLogger;
}

/**
 * Settles queued transfers as Paystack does, in seconds rather than minutes: `delayMs` after
 * creation a `pending` transfer becomes `failed` (amount and fee back in the balance) or
 * `success`, and `delayMs` after success an account ending in 2 is `reversed` (both back); each
 * step sends its signed `transfer.*` webhook through the sender, retried like charges. Timers
 * never keep the process alive; `close()` stops them, and `resume()` after a restart picks up
 * whatever was still owed.
 */
export class TransferSettlement {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly options: TransferSettlementOptions;

  constructor(options: TransferSettlementOptions) {
    this.options = options;
  }

  /** Settles a transfer just queued (`pending`) after the delay. */
  schedule(transfer: SimulatedTransfer): void {
    this.later(() => this.settle(transfer));
  }

  /** After a restart: settles the transfers still `pending`, and reverses the successes owed a reversal. */
  resume(): void {
    for (const transfer of this.options.transfers.all()) {
      if (transfer.status === 'pending') this.schedule(transfer);
      if (transfer.status === 'success' && fateOf(transfer) === 'succeeds_then_reversed') {
        this.later(() => this.reverse(transfer));
      }
    }
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        step();
      } catch (error) {
        this.options.log.error({ err: error }, 'Paystack simulator: a transfer could not be settled');
      }
    }, this.options.delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private settle(transfer: SimulatedTransfer): void {
    if (transfer.status !== 'pending') return;
    const { transfers, balance, webhooks } = this.options;
    // A NIP session id: digits, as in Paystack's failed and reversed examples.
    transfer.sessionId = `110006${Date.now()}${randomInt(1_000_000, 9_999_999)}`;
    if (fateOf(transfer) === 'fails') {
      balance.credit(transfer.amount + transfer.fee);
      transfers.update(transfer, 'failed', FAILURE_REASON);
    } else {
      transfer.transferredAt = new Date();
      transfers.update(transfer, 'success');
      if (fateOf(transfer) === 'succeeds_then_reversed') this.later(() => this.reverse(transfer));
    }
    webhooks.send(transferEvent(transfer));
  }

  private reverse(transfer: SimulatedTransfer): void {
    if (transfer.status !== 'success') return;
    const { transfers, balance, webhooks } = this.options;
    balance.credit(transfer.amount + transfer.fee);
    transfers.update(transfer, 'reversed', REVERSAL_REASON);
    webhooks.send(transferEvent(transfer));
  }
}
