import { AppError, invariant } from '../errors.ts';
import { PaystackError } from '../paystack/client.ts';
import type { PaystackBank } from '../paystack/transfers.ts';
import type { TransfersApi } from './paystack-transfers.ts';

/** SPEC: Paystack is asked for the bank list at most once an hour per instance. */
export const BANK_LIST_TTL_MS = 60 * 60_000;
/** After a failed refresh, the list fetched before serves this long before Paystack is asked again. */
const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * Paystack's list of Nigerian banks, kept for `BANK_LIST_TTL_MS`. Concurrent readers of an
 * expired list share one call. When Paystack fails, a list fetched before is served on (a bank
 * list changes rarely; refusing withdrawals for it would not help anyone); with none yet,
 * `502 bank_provider_error`.
 */
export class BankDirectory {
  private readonly api: Pick<TransfersApi, 'listBanks'>;
  private readonly ttlMs: number;
  private cached:
    | { banks: readonly PaystackBank[]; byCode: ReadonlyMap<string, PaystackBank>; fetchedAtMs: number }
    | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(api: Pick<TransfersApi, 'listBanks'>, options: { ttlMs?: number } = {}) {
    this.api = api;
    this.ttlMs = options.ttlMs ?? BANK_LIST_TTL_MS;
  }

  /** Every bank, sorted by name as Paystack's list is. */
  async list(): Promise<readonly PaystackBank[]> {
    return (await this.current()).banks;
  }

  /** The bank with this code, or `400 invalid_bank_code`. */
  async find(code: string): Promise<PaystackBank> {
    const bank = (await this.current()).byCode.get(code);
    if (!bank)
      throw new AppError('invalid_bank_code', `No Nigerian bank has the code "${code}": see GET /banks`);
    return bank;
  }

  private async current(): Promise<NonNullable<BankDirectory['cached']>> {
    const cached = this.cached;
    if (cached && Date.now() - cached.fetchedAtMs < this.ttlMs) return cached;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    try {
      await this.refreshing;
    } catch (error) {
      if (!(error instanceof PaystackError)) throw error;
      if (cached) {
        cached.fetchedAtMs = Math.max(cached.fetchedAtMs, Date.now() - this.ttlMs + RETRY_AFTER_FAILURE_MS);
        return cached;
      }
      throw new AppError(
        'bank_provider_error',
        'Paystack could not be asked for the list of banks: try again shortly',
        {
          cause: error,
        },
      );
    }
    invariant(this.cached !== undefined, 'a successful refresh keeps the list');
    return this.cached;
  }

  private async refresh(): Promise<void> {
    const banks = await this.api.listBanks();
    this.cached = {
      banks: Object.freeze([...banks]),
      byCode: new Map(banks.map((bank) => [bank.code, bank])),
      fetchedAtMs: Date.now(),
    };
  }
}
