import { randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 22 base62 characters ≈ 131 random bits: unguessable and, in practice, never repeated. */
const RANDOM_LENGTH = 22;

/**
 * A unique, unguessable transaction reference such as `trf-4fZ…`. Only letters, digits and `-`,
 * which Paystack accepts in its own references.
 */
export function newReference(prefix: 'trf' | 'dep'): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  return `${prefix}-${random}`;
}
