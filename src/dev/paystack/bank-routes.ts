import type { FastifyInstance } from 'fastify';
import { lookUpAccount } from './account-holders.ts';
import { PaystackApiError } from './api-errors.ts';
import { authorize } from './authorize.ts';
import { BANKS, bankPage } from './banks.ts';
import { misbehave, type SimulatorBehaviour } from './behaviour.ts';

export interface BankApiOptions {
  /** The only key the API accepts. */
  secretKey: string;
  behaviour: SimulatorBehaviour;
}

/** Paystack's usual page size, and the most the simulator gives in one page. */
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;

const MALFORMED_BANKS = { status: true, message: 'Banks retrieved', data: { banks: 'unavailable' } };
const MALFORMED_RESOLVE = { status: true, message: 'Account number resolved', data: { account_name: 7 } };

/** A query parameter's single value; repeated or absent is `undefined`. */
function one(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function pageSize(perPage: string | undefined, limit: number | undefined): number {
  const asked = perPage !== undefined && /^\d{1,4}$/.test(perPage) ? Number(perPage) : DEFAULT_PER_PAGE;
  return Math.max(1, Math.min(asked || DEFAULT_PER_PAGE, MAX_PER_PAGE, limit ?? MAX_PER_PAGE));
}

/**
 * `GET /bank` (examples/bank-list.response.json): Nigeria's banks (`banks.ts`), cursor-paged with
 * `use_cursor=true`, `perPage` and `next`, the whole list in one answer without `use_cursor`, and
 * none for another `currency` or `country`. `GET /bank/resolve` (examples/bank-resolve.*): any
 * 10-digit number at a usable bank resolves to a made-up holder, except `0000000000`.
 */
export function registerBankApi(app: FastifyInstance, options: BankApiOptions): void {
  const { secretKey, behaviour } = options;

  app.get('/bank', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, secretKey);
    if (await misbehave(behaviour, reply, MALFORMED_BANKS)) return reply;
    const query = request.query as Record<string, unknown>;
    const currency = one(query.currency) ?? 'NGN';
    const country = (one(query.country) ?? 'nigeria').toLowerCase();
    const perPage = pageSize(one(query.perPage), behaviour.bankPageLimit);
    const page =
      currency !== 'NGN' || country !== 'nigeria'
        ? { banks: [], next: null }
        : one(query.use_cursor) === 'true'
          ? bankPage(one(query.next), perPage)
          : bankPage(undefined, BANKS.length);
    if (page === undefined)
      throw new PaystackApiError(400, 'Invalid cursor: use meta.next of an earlier page');
    return {
      status: true,
      message: 'Banks retrieved',
      data: page.banks,
      // `previous` paging is not simulated.
      meta: { next: page.next, previous: null, perPage },
    };
  });

  app.get('/bank/resolve', { schema: { hide: true } }, async (request, reply) => {
    authorize(request, secretKey);
    if (await misbehave(behaviour, reply, MALFORMED_RESOLVE)) return reply;
    const query = request.query as Record<string, unknown>;
    const lookup = lookUpAccount(one(query.account_number), one(query.bank_code));
    switch (lookup.kind) {
      case 'found':
        return {
          status: true,
          message: 'Account number resolved',
          data: {
            account_number: lookup.accountNumber,
            account_name: lookup.accountName,
            bank_id: lookup.bank.id,
          },
        };
      case 'missing_bank_code':
        throw new PaystackApiError(400, 'bank_code is required');
      case 'missing_account_number':
        throw new PaystackApiError(400, 'Account number is required');
      case 'not_numeric':
        throw new PaystackApiError(400, 'Account number should be numeric');
      case 'unknown_bank':
        throw new PaystackApiError(422, 'Unknown bank code');
      case 'unresolvable':
        throw new PaystackApiError(422, 'Could not resolve account name. Check parameters or try again.');
    }
  });
}
