import { createHash, randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 base62 characters carry 32·log2(62) ≈ 190.5 bits. */
const RANDOM_LENGTH = 32;
/** CRC32 fits in 6 base62 characters (62^6 > 2^32), as in GitHub's token format. */
const CHECKSUM_LENGTH = 6;
const DISPLAY_PREFIX_LENGTH = 12;

export type KeyMode = 'live' | 'test';

/** What every key of this service (and a Stripe-style key) starts with; no JWT does. */
export const API_KEY_PREFIX = 'sk_';

const KEY_PATTERN = new RegExp(
  `^sk_(live|test)_([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

function toBase62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** CRC-32 (zlib's, IEEE polynomial) of the body's UTF-8 bytes, in base62. */
function checksumOf(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LENGTH);
}

export interface GeneratedKey {
  /** The full secret, shown to its owner once. */
  key: string;
  /** What is stored: SHA-256 of the full key. */
  hash: Buffer;
  /** Safe to display: enough to tell keys apart, far too little to use. */
  prefix: string;
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateApiKey(mode: KeyMode): GeneratedKey {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  const body = `sk_${mode}_${random}`;
  const key = body + checksumOf(body);
  return { key, hash: hashApiKey(key), prefix: key.slice(0, DISPLAY_PREFIX_LENGTH) };
}

/** True when the key has the right shape and its checksum matches: no database needed to say no. */
export function isWellFormedApiKey(key: string): boolean {
  const match = KEY_PATTERN.exec(key);
  if (!match) return false;
  const body = key.slice(0, key.length - CHECKSUM_LENGTH);
  return checksumOf(body) === match[3];
}
