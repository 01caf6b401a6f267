// Amounts are integers of kobo everywhere (₦1 = 100 kobo), as in the API: the page never does
// arithmetic on naira with fractions, so no float ever rounds a kobo away.

/** The largest amount the API takes in a request: ₦1bn in kobo. */
export const MAX_AMOUNT_KOBO = 100_000_000_000;

/**
 * `kobo` as naira with thousands separators and two decimals: 123456 → "₦1,234.56".
 * @param {number} kobo an integer
 * @returns {string}
 */
export function formatNaira(kobo) {
  const sign = kobo < 0 ? '-' : '';
  const abs = Math.abs(kobo);
  const naira = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}₦${naira}.${String(abs % 100).padStart(2, '0')}`;
}

const NAIRA = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

/**
 * What a person typed in naira ("1,234.5", "₦20", "1234.56") as kobo, read from the text exactly.
 * @param {string} text
 * @returns {{ kobo: number } | { error: string }} an error in words when it is not an amount
 */
export function parseNaira(text) {
  const trimmed = text.trim().replace(/^₦\s*/, '');
  if (trimmed === '') return { error: 'Enter an amount in naira, for example 1,500.00' };
  const match = NAIRA.exec(trimmed);
  if (!match)
    return { error: 'Enter naira as digits, with at most two decimals (kobo), for example 1,500.50' };
  const [whole, fraction = ''] = trimmed.replaceAll(',', '').split('.');
  if ((whole ?? '').length > 10) return { error: 'That amount is too large' };
  const kobo = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (kobo < 1) return { error: 'Enter an amount of at least ₦0.01' };
  if (kobo > MAX_AMOUNT_KOBO)
    return { error: `The most you can move at once is ${formatNaira(MAX_AMOUNT_KOBO)}` };
  return { kobo };
}

/**
 * The Luhn check digit for a string of digits: the service's rule for a wallet number's last digit.
 * @param {string} digits
 * @returns {number}
 */
function luhnCheckDigit(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * What is wrong with a wallet number as typed so far, in words, or `null` when it is valid:
 * 13 digits, the last a Luhn check digit (so most typos are caught before anything is sent).
 * @param {string} value
 * @returns {string | null}
 */
export function walletNumberProblem(value) {
  const digits = value.replace(/\s/g, '');
  if (digits === '') return 'Enter the recipient’s 13-digit wallet number';
  if (!/^\d+$/.test(digits)) return 'A wallet number has digits only';
  if (digits.length !== 13) return `A wallet number has 13 digits; this has ${digits.length}`;
  if (luhnCheckDigit(digits.slice(0, -1)) !== Number(digits[12])) {
    return 'This number’s last digit does not match the others: check it for a typo';
  }
  return null;
}

/**
 * An ISO timestamp as a short local date and time.
 * @param {string} iso
 * @returns {string}
 */
export function formatTime(iso) {
  return new Date(iso).toLocaleString('en-NG', { dateStyle: 'medium', timeStyle: 'short' });
}
