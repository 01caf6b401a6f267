/** The balance a fresh simulator starts with: ₦100m, in kobo. */
export const INITIAL_MERCHANT_BALANCE_KOBO = 10_000_000_000;

/**
 * The merchant's Paystack balance in kobo, from which transfers are paid (TRANSFERS.md, "Amounts
 * and fees"): paid charges add to it, transfers take their amount and fee, failed and reversed
 * transfers give both back. `onChange` persists it.
 */
export class MerchantBalance {
  private balance: number;
  private readonly onChange: () => void;

  /** `kobo`: the saved balance; anything but a non-negative safe integer starts afresh. */
  constructor(kobo: unknown, onChange: () => void) {
    this.balance =
      Number.isSafeInteger(kobo) && (kobo as number) >= 0 ? (kobo as number) : INITIAL_MERCHANT_BALANCE_KOBO;
    this.onChange = onChange;
  }

  get kobo(): number {
    return this.balance;
  }

  /** Sets the balance (a test control); kobo, a non-negative safe integer. */
  set kobo(kobo: number) {
    if (!Number.isSafeInteger(kobo) || kobo < 0) throw new RangeError(`not a balance in kobo: ${kobo}`);
    this.balance = kobo;
    this.onChange();
  }

  credit(kobo: number): void {
    this.kobo = this.balance + kobo;
  }

  /** Takes `kobo` out; the caller has checked that the balance holds it. */
  debit(kobo: number): void {
    this.kobo = this.balance - kobo;
  }
}
