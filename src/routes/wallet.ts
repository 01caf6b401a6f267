import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { Database } from '../db/client.ts';
import { callerOf, principalOf } from '../http/authentication.ts';
import { replyWithOutcome, requestIdempotency } from '../http/idempotent-reply.ts';
import {
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotentOutcome,
  runIdempotent,
  type StoredResponse,
} from '../idempotency/store.ts';
import { DEFAULT_PAGE_SIZE, listWalletHistory, MAX_PAGE_SIZE } from '../ledger/history.ts';
import { type TransferResult, transfer, transferByApiKey } from '../ledger/transfer.ts';
import { getWalletOfPrincipal } from '../ledger/wallets.ts';
import { countPosting } from '../observability/metrics.ts';

/** SPEC: a request amount is a JSON integer from 1 kobo to ₦1bn. */
export const TransferAmount = Type.Integer({
  minimum: 1,
  maximum: 100_000_000_000,
  description: 'Amount in kobo',
});
const WalletNumber = Type.String({
  pattern: '^[0-9]{13}$',
  description: '13 digits, the last a Luhn check digit',
});

export const Balance = Type.Object({
  balance: Type.Integer({ description: 'Balance in kobo: what the wallet can spend now' }),
  currency: Type.Literal('NGN'),
  wallet_number: WalletNumber,
  frozen: Type.Boolean({
    description:
      'A frozen wallet cannot send transfers or withdrawals (a refund left a debt, or a payment is disputed)',
  }),
  debt: Type.Integer({ description: 'Kobo the wallet owes; money it receives repays it first' }),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description: 'Makes a retry return the first response instead of acting twice (kept 24 hours)',
    }),
  ),
});

const TransferRequest = Type.Object(
  { wallet_number: WalletNumber, amount: TransferAmount },
  { additionalProperties: false },
);
const TransferResponse = Type.Object({
  status: Type.Literal('success'),
  message: Type.Literal('Transfer completed'),
  reference: Type.String(),
  amount: Type.Integer(),
  recipient_wallet_number: WalletNumber,
  balance: Type.Integer({ description: 'Your balance after the transfer, in kobo' }),
});

const HistoryQuery = Type.Object(
  {
    // Query strings are text: the limit is parsed after a strict pattern check, not coerced.
    limit: Type.Optional(
      Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: `1 to ${MAX_PAGE_SIZE}` }),
    ),
    cursor: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
const HistoryItem = Type.Object({
  id: Type.String(),
  reference: Type.String(),
  type: Type.Union([
    Type.Literal('deposit'),
    Type.Literal('transfer'),
    Type.Literal('withdrawal'),
    Type.Literal('withdrawal_return'),
    Type.Literal('refund'),
  ]),
  direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]),
  amount: Type.Integer({ description: 'Kobo, always positive; a withdrawal’s is its amount plus fee' }),
  status: Type.Union(
    [Type.Literal('success'), Type.Literal('pending'), Type.Literal('failed'), Type.Literal('reversed')],
    { description: '`success` once posted; a withdrawal shows the withdrawal’s status' },
  ),
  counterparty_wallet_number: Type.Union([WalletNumber, Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});

/** SPEC's answer to a completed transfer, sent now and stored for replays with its Idempotency-Key. */
function transferAnswer(result: TransferResult): StoredResponse {
  return {
    status: 200,
    body: {
      status: 'success',
      message: 'Transfer completed',
      reference: result.reference,
      amount: Number(result.amount),
      recipient_wallet_number: result.recipientWalletNumber,
      balance: Number(result.balance),
    },
  };
}

/** The operations' schemas: what they take and answer, and their documentation. */
const balanceSchema = { tags: ['wallet'], summary: 'The wallet balance in kobo', response: { 200: Balance } };
const transferSchema = {
  tags: ['wallet'],
  summary: 'Move money to another wallet, at once and atomically',
  headers: IdempotencyHeaders,
  body: TransferRequest,
  response: { 200: TransferResponse },
};
const historySchema = {
  tags: ['wallet'],
  summary: 'Wallet movements, newest first',
  description:
    'Keyset-paginated: when more items exist, the `Link` header carries the next page\'s URL with `rel="next"`.',
  querystring: HistoryQuery,
  response: { 200: Type.Array(HistoryItem) },
};

export const walletRoutes: FastifyPluginAsyncTypebox<{ db: Database }> = async (app, { db }) => {
  app.get(
    '/wallet/balance',
    { config: { auth: { allowApiKey: true, permission: 'read', readsWallet: true } }, schema: balanceSchema },
    async (request) => {
      const wallet = await getWalletOfPrincipal(db, principalOf(request));
      return {
        balance: Number(wallet.balance),
        currency: 'NGN' as const,
        wallet_number: wallet.walletNumber,
        frozen: wallet.frozen,
        debt: Number(wallet.debt),
      };
    },
  );

  app.post(
    '/wallet/transfer',
    // `wallet_transfer_by_api_key` checks the key's `transfer` permission with the key itself.
    {
      config: { auth: { allowApiKey: true, permission: 'transfer', checkedInStatement: true } },
      schema: transferSchema,
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const order = {
        recipientWalletNumber: request.body.wallet_number,
        amount: BigInt(request.body.amount),
      };
      const outcome: IdempotentOutcome<TransferResult> =
        caller.via === 'unchecked_api_key'
          ? {
              replayed: false,
              result: await transferByApiKey(db, { ...order, apiKeyHash: caller.apiKeyHash }),
            }
          : await runIdempotent(db, requestIdempotency(request, caller.userId, transferAnswer), (tx) =>
              transfer(tx, { ...order, senderUserId: caller.userId }),
            );
      if ('result' in outcome) countPosting('transfer', outcome.result.amount);
      return replyWithOutcome(reply, outcome, transferAnswer);
    },
  );

  app.get(
    '/wallet/transactions',
    { config: { auth: { allowApiKey: true, permission: 'read', readsWallet: true } }, schema: historySchema },
    async (request, reply) => {
      const limit = request.query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(request.query.limit);
      const wallet = await getWalletOfPrincipal(db, principalOf(request));
      const page = await listWalletHistory(db, wallet.accountId, { limit, cursor: request.query.cursor });
      if (page.nextCursor) {
        const next = new URLSearchParams({ limit: String(limit), cursor: page.nextCursor });
        reply.header('link', `</wallet/transactions?${next}>; rel="next"`);
      }
      return page.items.map((item) => ({
        id: item.id,
        reference: item.reference,
        type: item.type,
        direction: item.direction,
        amount: Number(item.amount),
        status: item.status,
        counterparty_wallet_number: item.counterpartyWalletNumber,
        created_at: item.createdAt.toISOString(),
      }));
    },
  );
};
