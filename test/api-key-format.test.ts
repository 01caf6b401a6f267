import { describe, expect, it } from 'vitest';
import { generateApiKey, isWellFormedApiKey } from '../src/auth/api-key-format.ts';

// Checksums computed by the hand-written CRC-32 this module used before `zlib.crc32`: keys already
// issued must stay well-formed, so the checksum may never change.
const KEYS_FROM_BEFORE = [
  'sk_test_00000000000000000000000000000000127lYz',
  'sk_live_000000000000000000000000000000002UYg5A',
  'sk_test_0123456789ABCDEFGHIJKLMNOPQRSTUV3bN14w',
  'sk_test_UVWXYZabcdefghijklmnopqrstuvwxyz1bh4Se',
];

describe('API key checksum', () => {
  it.each(KEYS_FROM_BEFORE)('accepts %s, checksummed before zlib.crc32', (key) => {
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it('refuses each of those keys with one character of its body changed', () => {
    for (const key of KEYS_FROM_BEFORE) {
      const changed = `${key.slice(0, 10)}${key[10] === 'Z' ? 'Y' : 'Z'}${key.slice(11)}`;
      expect(isWellFormedApiKey(changed)).toBe(false);
    }
  });

  it('accepts the keys it generates', () => {
    for (const mode of ['test', 'live'] as const) {
      expect(isWellFormedApiKey(generateApiKey(mode).key)).toBe(true);
    }
  });
});
