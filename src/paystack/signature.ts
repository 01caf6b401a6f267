import { createHmac, timingSafeEqual } from 'node:crypto';

/** Paystack's webhook signature: hex HMAC-SHA512 of the request body, keyed with the secret key. */
export function signWebhookBody(rawBody: Buffer | string, secretKey: string): string {
  return createHmac('sha512', secretKey).update(rawBody).digest('hex');
}

const HEX_SHA512 = /^[0-9a-fA-F]{128}$/;

/**
 * Whether `header` is the signature of exactly these bytes. The HMAC is computed over the body as
 * received, never over re-serialized JSON (which changes key order, spacing and escapes), and the
 * comparison takes the same time wherever the first differing byte is.
 */
export function verifyWebhookSignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  secretKey: string,
): boolean {
  if (typeof header !== 'string' || !HEX_SHA512.test(header)) return false;
  const expected = Buffer.from(signWebhookBody(rawBody, secretKey), 'hex');
  const given = Buffer.from(header, 'hex');
  // timingSafeEqual throws on different lengths; the pattern above already fixes the length, and
  // this check keeps that true if the pattern ever changes.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
