import { randomInt } from 'node:crypto';

/** SPEC "Money out": a withdrawal pays ₦100 to ₦10m, in kobo. */
export const MIN_WITHDRAWAL_KOBO = 10_000n;
export const MAX_WITHDRAWAL_KOBO = 1_000_000_000n;

/** SPEC "Money out": at most this many withdrawals pending per user. */
export const MAX_PENDING_WITHDRAWALS = 5;

/**
 * Paystack's NGN transfer fee for a payout of `amountKobo`, which the wallet pays on top of the
 * amount: ₦10 up to ₦5,000, ₦25 up to ₦50,000, ₦50 above (SPEC "Money out"; Paystack's pricing
 * page, `../shared/paystack/TRANSFERS.md` "Amounts and fees"). Both bounds are inclusive.
 */
export function withdrawalFeeKobo(amountKobo: bigint): bigint {
  if (amountKobo <= 500_000n) return 1_000n;
  if (amountKobo <= 5_000_000n) return 2_500n;
  return 5_000n;
}

const LOWERCASE_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** 26 base-36 characters ≈ 134 random bits: unguessable and, in practice, never repeated. */
const RANDOM_LENGTH = 26;

/**
 * A new withdrawal reference such as `wdr_k3…`: also the Paystack transfer's reference, so it
 * follows Paystack's rule for those (lowercase letters, digits, `-` and `_`, at least 16
 * characters; `TRANSFERS.md` "Reference rules"), and is sent unchanged on every re-initiation.
 */
export function newWithdrawalReference(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++)
    random += LOWERCASE_ALPHANUMERIC[randomInt(LOWERCASE_ALPHANUMERIC.length)];
  return `wdr_${random}`;
}

/** The shape of a reference `newWithdrawalReference` makes: anything else names no withdrawal. */
export const WITHDRAWAL_REFERENCE_PATTERN = '^wdr_[a-z0-9]{26}$';
