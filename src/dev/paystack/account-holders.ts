import { createHash } from 'node:crypto';
import { type SimulatedBank, usableBank } from './banks.ts';

/** The account number no bank knows (SPEC: the simulator's unresolvable test account). */
export const UNRESOLVABLE_ACCOUNT = '0000000000';

const SURNAMES = [
  'Adebayo',
  'Okafor',
  'Bello',
  'Eze',
  'Okonkwo',
  'Ibrahim',
  'Adeyemi',
  'Nwosu',
  'Abubakar',
  'Balogun',
  'Chukwu',
  'Danjuma',
  'Olawale',
  'Obi',
  'Musa',
  'Ogunleye',
] as const;

const GIVEN_NAMES = [
  'Chinedu',
  'Aisha',
  'Tunde',
  'Ngozi',
  'Emeka',
  'Fatima',
  'Segun',
  'Amaka',
  'Yusuf',
  'Funmilayo',
  'Obinna',
  'Halima',
  'Babatunde',
  'Chiamaka',
  'Kelechi',
  'Zainab',
] as const;

/**
 * A made-up holder for `accountNumber`, the same every time, written surname first as in
 * Paystack's resolve example ("Doe Jane Loren"): e.g. `Okafor Ngozi Tunde`.
 */
export function holderName(accountNumber: string): string {
  const digest = createHash('sha256').update(accountNumber).digest();
  const pick = <T>(names: readonly T[], byte: number): T =>
    names[(digest[byte] as number) % names.length] as T;
  return `${pick(SURNAMES, 0)} ${pick(GIVEN_NAMES, 1)} ${pick(GIVEN_NAMES, 2)}`;
}

/** What a bank says of an account: its holder, or why there is none. */
export type AccountLookup =
  | { kind: 'found'; bank: SimulatedBank; accountNumber: string; accountName: string }
  | { kind: 'missing_bank_code' }
  | { kind: 'missing_account_number' }
  | { kind: 'unknown_bank' }
  | { kind: 'not_numeric' }
  | { kind: 'unresolvable' };

/** Reads a query or body value as the text Paystack would see; numbers count as their digits. */
function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The holder of `accountNumber` at the bank `bankCode` (query or body values): any 10-digit NUBAN
 * at a usable bank resolves to `holderName`, except `UNRESOLVABLE_ACCOUNT`.
 */
export function lookUpAccount(accountNumber: unknown, bankCode: unknown): AccountLookup {
  const code = text(bankCode);
  const number = text(accountNumber);
  if (code === undefined) return { kind: 'missing_bank_code' };
  if (number === undefined) return { kind: 'missing_account_number' };
  if (!/^\d+$/.test(number)) return { kind: 'not_numeric' };
  const bank = usableBank(code);
  if (bank === undefined) return { kind: 'unknown_bank' };
  if (number.length !== 10 || number === UNRESOLVABLE_ACCOUNT) return { kind: 'unresolvable' };
  return { kind: 'found', bank, accountNumber: number, accountName: holderName(number) };
}
