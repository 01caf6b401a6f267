/**
 * JSON read exactly: `JSON.parse` rounds a number literal to the nearest double before anyone
 * sees it (`100.000000000000001` becomes `100`), and PostgreSQL refuses some text JavaScript
 * strings can hold. This parser reads every number from its source text (Node 24's reviver
 * `context.source`) and every string and key as written, and throws instead of guessing:
 *
 * - `InexactNumberError` for a number literal whose exact decimal value is not an integer, or is
 *   an integer beyond `Number.MAX_SAFE_INTEGER` (`1e400`, `9007199254740993`): as a double it would
 *   be another number. Spellings of an exact integer are accepted: `100`, `100.0`, `1e2`, `1.5e1`;
 *   `-0` is zero (no amount may be zero, so validation refuses it as out of range).
 * - `UnstorableTextError` for a string or key with U+0000 or a lone surrogate, which a PostgreSQL
 *   text column cannot store.
 *
 * Integers therefore reach validation as safe integers, which `BigInt()` converts exactly.
 * Objects come without prototype-polluting keys: `__proto__` is refused as the framework's own
 * JSON parser does.
 */

/** A number literal whose exact value is not a safe integer; `key` is the member it belongs to. */
export class InexactNumberError extends Error {
  readonly key: string;
  readonly literal: string;

  constructor(key: string, literal: string) {
    super(`${key || 'the value'}: ${literal} is not a whole number that can be read exactly`);
    this.key = key;
    this.literal = literal;
    this.name = 'InexactNumberError';
  }
}

/** Text PostgreSQL cannot store (U+0000 or a lone surrogate) in a string or a key. */
export class UnstorableTextError extends Error {
  readonly key: string;

  constructor(key: string) {
    super(`${key || 'a value'}: contains U+0000 or an unpaired surrogate, which cannot be stored`);
    this.key = key;
    this.name = 'UnstorableTextError';
  }
}

/** A key that would reach `Object.prototype` through careless merging; refused outright. */
export class ForbiddenKeyError extends Error {
  constructor() {
    super('the body has a __proto__ key or a constructor.prototype');
    this.name = 'ForbiddenKeyError';
  }
}

/** A surrogate that is not half of a pair: in `u` mode a pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when PostgreSQL can store `text`: no U+0000 and no lone surrogate. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** The JSON number grammar, split into sign, integer digits, fraction digits and exponent. */
const NUMBER_LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The exact integer a JSON number literal denotes, or undefined when its value has a fraction or
 * lies beyond ±`Number.MAX_SAFE_INTEGER`.
 */
export function exactSafeInteger(literal: string): bigint | undefined {
  const match = NUMBER_LITERAL.exec(literal);
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return 0n;
  // Where the decimal point falls in `digits` (leading zeros gone) once the exponent is applied.
  const leadingZeros = whole.length + fraction.length - digits.length;
  const point = whole.length + Number(exponentText) - leadingZeros;
  if (!Number.isFinite(point) || point < 1 || point > 16) return undefined;
  const integerDigits = digits.slice(0, point).padEnd(point, '0');
  if (/[1-9]/.test(digits.slice(point))) return undefined;
  const value = BigInt(integerDigits);
  if (value > MAX_SAFE) return undefined;
  return sign === '-' ? -value : value;
}

/** Parses `text` as JSON exactly, or throws one of this module's errors or a `SyntaxError`. */
export function parseJsonExactly(text: string): unknown {
  return JSON.parse(
    text,
    function exact(this: unknown, key: string, value: unknown, context?: { source?: string }) {
      if (key === '__proto__') throw new ForbiddenKeyError();
      if (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value) {
        throw new ForbiddenKeyError();
      }
      if (!isStorableText(key)) throw new UnstorableTextError(key);
      if (typeof value === 'string' && !isStorableText(value)) throw new UnstorableTextError(key);
      if (typeof value === 'number' && context?.source !== undefined) {
        const exact = exactSafeInteger(context.source);
        if (exact === undefined) throw new InexactNumberError(key, context.source);
        return Number(exact);
      }
      return value;
    },
  );
}
