// Paystack's bank list and account resolution, as the service uses them to save a payout
// account. Facts and their sources: /work/shared/paystack/TRANSFERS.md ([D1]… keys) and the
// example bodies beside it. `PaystackClient` (client.ts) exposes these functions as its methods.
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import {
  callPaystack,
  malformedResponse,
  type PaystackConnection,
  PaystackError,
  storableText,
} from './http.ts';

export interface PaystackBank {
  name: string;
  /** Paystack's `code`, the `bank_code` of resolve and recipient calls, e.g. `058`. */
  code: string;
}

export interface ResolvedAccount {
  accountNumber: string;
  /** The holder's name as the bank gives it, e.g. `Doe Jane Loren` in Paystack's example. */
  accountName: string;
}

/** Banks asked for per page (`perPage`, for which the OpenAPI document gives no maximum). */
const BANKS_PER_PAGE = 100;
/** A thousand banks is far more than Nigeria has: beyond that the cursor is going round. */
const MAX_BANK_PAGES = 10;

/** `GET /bank` ([D1][O]): `data[]` banks and a `meta.next` cursor. */
const bankListResponse = Compile(
  Type.Object({
    status: Type.Literal(true),
    data: Type.Array(
      Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }),
        code: Type.String({ minLength: 1, maxLength: 50 }),
        active: Type.Boolean(),
        is_deleted: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
      }),
      { maxItems: BANKS_PER_PAGE },
    ),
    meta: Type.Optional(Type.Object({ next: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
  }),
);

/** `GET /bank/resolve` ([D2]). */
const resolveResponse = Compile(
  Type.Object({
    status: Type.Literal(true),
    data: Type.Object({
      account_number: Type.String(),
      account_name: Type.String({ minLength: 1, maxLength: 200 }),
    }),
  }),
);

/**
 * Paystack's NGN banks that can receive transfers: `GET /bank?currency=NGN` with cursor paging
 * (`use_cursor=true`, `perPage=100`, then `next=<meta.next>`, at most 10 pages) ([D1][O]). Only
 * `active` banks not `is_deleted`, one per `code` (the first listed), sorted by name. Throws
 * `PaystackError`, `malformed_response` when the cursor repeats or runs beyond 10 pages.
 */
export async function listBanks(connection: PaystackConnection): Promise<PaystackBank[]> {
  const banks = new Map<string, PaystackBank>();
  const cursors = new Set<string>();
  let next: string | undefined;
  for (let page = 1; page <= MAX_BANK_PAGES; page++) {
    const query = new URLSearchParams({
      currency: 'NGN',
      perPage: String(BANKS_PER_PAGE),
      use_cursor: 'true',
    });
    if (next !== undefined) query.set('next', next);
    const body = await callPaystack(
      connection,
      { method: 'GET', path: `/bank?${query}`, what: 'bank list' },
      bankListResponse,
    );
    for (const bank of body.data) {
      if (!bank.active || bank.is_deleted === true || banks.has(bank.code)) continue;
      banks.set(bank.code, {
        name: storableText(bank.name, 'bank name'),
        code: storableText(bank.code, 'bank code'),
      });
    }
    const cursor = body.meta?.next;
    if (cursor === undefined || cursor === null || cursor === '') {
      return [...banks.values()].sort((a, b) => a.name.localeCompare(b.name, 'en'));
    }
    if (cursors.has(cursor)) throw malformedResponse(`Paystack's bank list repeats its cursor ${cursor}`);
    cursors.add(cursor);
    next = cursor;
  }
  throw malformedResponse(`Paystack's bank list goes on beyond ${MAX_BANK_PAGES} pages of ${BANKS_PER_PAGE}`);
}

/** Statuses with which Paystack says an account cannot be resolved: 422 "Could not resolve account name…", 400, 404 ([E]). */
const UNRESOLVABLE_STATUSES: ReadonlySet<number> = new Set([400, 404, 422]);

function isUnresolvable(error: unknown): boolean {
  return (
    error instanceof PaystackError &&
    error.failure === 'refused' &&
    UNRESOLVABLE_STATUSES.has(error.details.httpStatus ?? 0)
  );
}

/**
 * The holder of a NUBAN account: `GET /bank/resolve?account_number&bank_code` ([D2]).
 * `undefined` when Paystack refuses with 400, 404 or 422 (unresolvable account, unknown bank code,
 * non-numeric number); throws `PaystackError` for any other failure (transport, 401, 429, 5xx,
 * malformed, another account number in the answer).
 */
export async function resolveAccount(
  connection: PaystackConnection,
  input: { accountNumber: string; bankCode: string },
): Promise<ResolvedAccount | undefined> {
  const query = new URLSearchParams({ account_number: input.accountNumber, bank_code: input.bankCode });
  const body = await callPaystack(
    connection,
    { method: 'GET', path: `/bank/resolve?${query}`, what: 'account resolve' },
    resolveResponse,
  ).catch((error: unknown) => {
    if (isUnresolvable(error)) return undefined;
    throw error;
  });
  if (body === undefined) return undefined;
  if (body.data.account_number !== input.accountNumber) {
    throw malformedResponse(
      `Paystack resolved account ${body.data.account_number} instead of ${input.accountNumber}`,
    );
  }
  return {
    accountNumber: body.data.account_number,
    accountName: storableText(body.data.account_name, 'account name'),
  };
}
