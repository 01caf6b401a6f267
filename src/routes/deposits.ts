import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { Database } from '../db/client.ts';
import {
  type DepositPaystack,
  MAX_DEPOSIT_KOBO,
  MIN_DEPOSIT_KOBO,
  type StartedDeposit,
  startDeposit,
} from '../deposits/start.ts';
import { getDepositStatus } from '../deposits/status.ts';
import { principalOf } from '../http/authentication.ts';
import { replyWithOutcome, requestIdempotency } from '../http/idempotent-reply.ts';
import type { StoredResponse } from '../idempotency/store.ts';
import { IdempotencyHeaders } from './wallet.ts';

const DepositRequest = Type.Object(
  {
    amount: Type.Integer({
      minimum: MIN_DEPOSIT_KOBO,
      maximum: MAX_DEPOSIT_KOBO,
      description: 'Amount in kobo: from 100 (₦1) to 1,000,000,000 (₦10m, Paystack’s cap per transaction)',
    }),
  },
  { additionalProperties: false },
);
/** Paystack allows letters, digits, `-`, `.` and `=` in a reference. */
const Reference = Type.String({ pattern: '^[A-Za-z0-9.=-]{1,100}$', description: 'The deposit’s reference' });
const DepositStatusName = Type.Union([
  Type.Literal('pending'),
  Type.Literal('success'),
  Type.Literal('failed'),
]);

const DepositResponse = Type.Object({
  reference: Reference,
  authorization_url: Type.String({ description: 'Paystack’s checkout page: send the payer here' }),
  amount: Type.Integer({ description: 'Kobo' }),
  status: Type.Literal('pending'),
});
const DepositStatusResponse = Type.Object({
  reference: Reference,
  status: DepositStatusName,
  amount: Type.Integer({ description: 'Kobo' }),
});

/** SPEC's answer to a started deposit, sent now and stored for replays with its Idempotency-Key. */
function depositAnswer(deposit: StartedDeposit): StoredResponse {
  return {
    status: 201,
    body: {
      reference: deposit.reference,
      authorization_url: deposit.authorizationUrl,
      amount: Number(deposit.amount),
      status: deposit.status,
    },
  };
}

export const depositRoutes: FastifyPluginAsyncTypebox<{ db: Database; paystack: DepositPaystack }> = async (
  app,
  { db, paystack },
) => {
  app.post(
    '/wallet/deposit',
    {
      config: { auth: { allowApiKey: true, permission: 'deposit' } },
      schema: {
        tags: ['wallet'],
        summary: 'Start a deposit through Paystack',
        description:
          'Records a pending deposit and initializes a Paystack transaction for it; send the payer to ' +
          '`authorization_url`. The wallet is credited when Paystack’s signed `charge.success` webhook ' +
          'arrives, never by this call. Paystack unreachable, slow or refusing: `502 payment_provider_error` ' +
          '(with the `reference`, whose deposit is then `failed`).',
        headers: IdempotencyHeaders,
        body: DepositRequest,
        response: { 201: DepositResponse },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const outcome = await startDeposit(db, paystack, {
        userId,
        amount: BigInt(request.body.amount),
        idempotency: requestIdempotency(request, userId, depositAnswer),
      });
      return replyWithOutcome(reply, outcome, depositAnswer);
    },
  );

  app.get(
    '/wallet/deposit/:reference/status',
    {
      config: { auth: { allowApiKey: true, permission: 'read' } },
      schema: {
        tags: ['wallet'],
        summary: 'A deposit’s status',
        description:
          'A pending deposit is checked with Paystack, and marked `failed` when Paystack says the payment ' +
          'failed (Paystack sends no webhook for failures). It never credits: only the signed webhook does. ' +
          'Another user’s reference answers `404 deposit_not_found`.',
        params: Type.Object({ reference: Reference }),
        response: { 200: DepositStatusResponse },
      },
    },
    async (request) => {
      const { deposit, providerError } = await getDepositStatus(
        db,
        paystack.client,
        principalOf(request).userId,
        request.params.reference,
      );
      if (providerError) {
        request.log.warn({ err: providerError, reference: deposit.reference }, 'Paystack verify failed');
      }
      return { reference: deposit.reference, status: deposit.status, amount: Number(deposit.amount) };
    },
  );
};
