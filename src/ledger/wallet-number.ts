import { randomInt } from 'node:crypto';

const WALLET_NUMBER_LENGTH = 13;

/** The Luhn check digit for a string of digits (the digit to append). */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Doubling starts from the rightmost payload digit, which sits next to the check digit.
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** 12 random digits from the OS CSPRNG, the first non-zero, then a Luhn check digit. */
export function generateWalletNumber(): string {
  let payload = String(randomInt(1, 10));
  for (let i = 1; i < WALLET_NUMBER_LENGTH - 1; i++) payload += String(randomInt(10));
  return payload + String(luhnCheckDigit(payload));
}

export function isValidWalletNumber(value: string): boolean {
  return (
    value.length === WALLET_NUMBER_LENGTH &&
    /^\d+$/.test(value) &&
    luhnCheckDigit(value.slice(0, -1)) === Number(value[value.length - 1])
  );
}
