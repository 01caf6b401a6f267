/**
 * A bank as Paystack lists it in `GET /bank` (examples/bank-list.response.json): every field of
 * the example, for Nigerian NUBAN banks.
 */
export interface SimulatedBank {
  name: string;
  slug: string;
  code: string;
  longcode: string;
  gateway: null;
  pay_with_bank: boolean;
  active: boolean;
  is_deleted: boolean;
  country: 'Nigeria';
  currency: 'NGN';
  type: 'nuban';
  id: number;
  createdAt: string;
  updatedAt: string;
}

type Entry = [name: string, slug: string, code: string, id: number, state?: 'inactive' | 'deleted'];

/**
 * Real Nigerian banks with their CBN/Paystack codes. Ids are those of Paystack's examples where
 * one shows (GTBank 9 in the resolve example; Paycom, now OPay, 171, Coronation 173, Abbey 174 in
 * the list example) and the simulator's own otherwise. Two entries are there for clients to
 * filter out: Heritage Bank (licence revoked in 2024) inactive, Diamond Bank (merged into Access
 * Bank in 2019) deleted; neither resolves nor takes a recipient.
 */
const ENTRIES: readonly Entry[] = [
  ['Access Bank', 'access-bank', '044', 1],
  ['Citibank Nigeria', 'citibank-nigeria', '023', 2],
  ['Diamond Bank', 'diamond-bank', '063', 3, 'deleted'],
  ['Ecobank Nigeria', 'ecobank-nigeria', '050', 4],
  ['Fidelity Bank', 'fidelity-bank', '070', 6],
  ['First Bank of Nigeria', 'first-bank-of-nigeria', '011', 7],
  ['First City Monument Bank', 'first-city-monument-bank', '214', 8],
  ['Guaranty Trust Bank', 'guaranty-trust-bank', '058', 9],
  ['Heritage Bank', 'heritage-bank', '030', 10, 'inactive'],
  ['Keystone Bank', 'keystone-bank', '082', 11],
  ['Polaris Bank', 'polaris-bank', '076', 13],
  ['Stanbic IBTC Bank', 'stanbic-ibtc-bank', '221', 14],
  ['Standard Chartered Bank', 'standard-chartered-bank', '068', 15],
  ['Sterling Bank', 'sterling-bank', '232', 16],
  ['Union Bank of Nigeria', 'union-bank-of-nigeria', '032', 17],
  ['United Bank For Africa', 'united-bank-for-africa', '033', 18],
  ['Unity Bank', 'unity-bank', '215', 19],
  ['Wema Bank', 'wema-bank', '035', 20],
  ['Zenith Bank', 'zenith-bank', '057', 21],
  ['Jaiz Bank', 'jaiz-bank', '301', 22],
  ['Providus Bank', 'providus-bank', '101', 23],
  ['Kuda Bank', 'kuda-bank', '50211', 67],
  ['Titan Trust Bank', 'titan-trust-bank', '102', 69],
  ['Globus Bank', 'globus-bank', '00103', 70],
  ['OPay Digital Services Limited (OPay)', 'paycom', '999992', 171],
  ['Coronation Merchant Bank', 'coronation-merchant-bank', '559', 173],
  ['Abbey Mortgage Bank', 'abbey-mortgage-bank', '801', 174],
  ['Moniepoint MFB', 'moniepoint-mfb-ng', '50515', 285],
  ['PalmPay', 'palmpay', '999991', 286],
];

const LISTED_AT = '2020-12-07T16:19:09.000Z';

/** Newest first, as in Paystack's example (ids 174, 173, … and a cursor onwards). */
export const BANKS: readonly SimulatedBank[] = ENTRIES.map(
  ([name, slug, code, id, state]): SimulatedBank => ({
    name,
    slug,
    code,
    longcode: '',
    gateway: null,
    pay_with_bank: false,
    active: state === undefined,
    is_deleted: state === 'deleted',
    country: 'Nigeria',
    currency: 'NGN',
    type: 'nuban',
    id,
    createdAt: LISTED_AT,
    updatedAt: LISTED_AT,
  }),
).sort((a, b) => b.id - a.id);

/** A bank that takes transfers by its code; `undefined` for an unknown, inactive or deleted one. */
export function usableBank(code: string): SimulatedBank | undefined {
  return BANKS.find((bank) => bank.code === code && bank.active && !bank.is_deleted);
}

/** Paystack's cursor in the example, `YmFuazoxNjk=`, is base64 of `bank:169`: the next bank's id. */
function cursorFor(bank: SimulatedBank): string {
  return Buffer.from(`bank:${bank.id}`).toString('base64');
}

/** The bank id a cursor starts at; `undefined` when it is not one of ours. */
function cursorId(cursor: string): number | undefined {
  const match = /^bank:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export interface BankPage {
  banks: SimulatedBank[];
  next: string | null;
}

/**
 * One page of the list, from the bank the `next` cursor names onwards (all of it without one);
 * `undefined` for a cursor the simulator never gave.
 */
export function bankPage(next: string | undefined, size: number): BankPage | undefined {
  let start = 0;
  if (next !== undefined) {
    const id = cursorId(next);
    if (id === undefined) return undefined;
    start = BANKS.findIndex((bank) => bank.id <= id);
    if (start === -1) start = BANKS.length;
  }
  const banks = BANKS.slice(start, start + size);
  const following = BANKS[start + size];
  return { banks, next: following === undefined ? null : cursorFor(following) };
}
