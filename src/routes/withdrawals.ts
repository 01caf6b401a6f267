import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.ts';
import { principalOf } from '../http/authentication.ts';
import { replyWithOutcome, requestIdempotency } from '../http/idempotent-reply.ts';
import type { StoredResponse } from '../idempotency/store.ts';
import type { AcceptedWithdrawal } from '../withdrawals/accept.ts';
import {
  MAX_WITHDRAWAL_KOBO,
  MIN_WITHDRAWAL_KOBO,
  WITHDRAWAL_REFERENCE_PATTERN,
} from '../withdrawals/fees.ts';
import type { PaystackCheck } from '../withdrawals/initiate.ts';
import type { TransfersApi } from '../withdrawals/paystack-transfers.ts';
import { getWithdrawal } from '../withdrawals/read.ts';
import { requestWithdrawal } from '../withdrawals/request.ts';
import { settlementLogEntry } from '../withdrawals/settlement-log.ts';
import { BankAccountView, bankAccountView } from './bank-accounts.ts';
import { uuidString } from './schemas.ts';
import { IdempotencyHeaders } from './wallet.ts';

const Reference = Type.String({
  pattern: WITHDRAWAL_REFERENCE_PATTERN,
  description: 'The withdrawal’s reference',
});
const Kobo = (description: string) => Type.Integer({ description });

const WithdrawalRequest = Type.Object(
  {
    amount: Type.Integer({
      minimum: Number(MIN_WITHDRAWAL_KOBO),
      maximum: Number(MAX_WITHDRAWAL_KOBO),
      description:
        'Amount in kobo paid to the bank account: from 10,000 (₦100) to 1,000,000,000 (₦10m); ₦5,000 is 500000',
    }),
    bank_account_id: uuidString('One of your saved bank accounts (its `id`)'),
  },
  { additionalProperties: false },
);

const AcceptedResponse = Type.Object({
  reference: Reference,
  status: Type.Literal('pending'),
  amount: Kobo('Kobo paid to the bank account'),
  fee: Kobo('Kobo: Paystack’s transfer fee (₦10 up to ₦5,000, ₦25 up to ₦50,000, ₦50 above)'),
  total: Kobo('Kobo taken from the wallet: amount + fee'),
  bank_account: BankAccountView,
  created_at: Type.String({ format: 'date-time' }),
});

const WithdrawalResponse = Type.Object({
  reference: Reference,
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('success'),
    Type.Literal('failed'),
    Type.Literal('reversed'),
  ]),
  amount: Kobo('Kobo paid to the bank account'),
  fee: Kobo('Kobo: Paystack’s transfer fee'),
  total: Kobo('Kobo taken from the wallet: amount + fee'),
  bank_account: BankAccountView,
  failure_reason: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

/** SPEC's answer to an accepted withdrawal, sent now and stored for replays with its Idempotency-Key. */
function acceptedAnswer(withdrawal: AcceptedWithdrawal): StoredResponse {
  return {
    status: 202,
    body: {
      reference: withdrawal.reference,
      status: 'pending',
      amount: Number(withdrawal.amount),
      fee: Number(withdrawal.fee),
      total: Number(withdrawal.amount + withdrawal.fee),
      bank_account: bankAccountView(withdrawal.bankAccount),
      created_at: withdrawal.createdAt.toISOString(),
    },
  };
}

function logInitiation(log: FastifyBaseLogger, reference: string, check: PaystackCheck): void {
  switch (check.kind) {
    case 'settled': {
      const entry = settlementLogEntry(check.settlement, 'initiation');
      log[entry.level](entry.fields, entry.message);
      return;
    }
    case 'in_progress':
      log.info({ reference, paystackStatus: check.paystackStatus }, 'withdrawal initiated at Paystack');
      return;
    case 'unknown':
      log.warn(
        { reference, err: check.error },
        'withdrawal initiation outcome unknown: the reconciler will verify it',
      );
      return;
    case 'not_found':
    case 'not_pending':
      return;
  }
}

export const withdrawalRoutes: FastifyPluginAsyncTypebox<{ db: Database; api: TransfersApi }> = async (
  app,
  { db, api },
) => {
  app.post(
    '/wallet/withdrawals',
    {
      config: { auth: { allowApiKey: true, permission: 'withdraw' } },
      schema: {
        tags: ['withdrawals'],
        summary: 'Withdraw to a saved bank account',
        description:
          'Holds amount + fee from the wallet at once (no longer in the balance), then asks Paystack to pay the ' +
          'bank account. `202`: accepted and `pending`; Paystack’s outcome arrives later (read it with ' +
          '`GET /wallet/withdrawals/{reference}`): `success`, or `failed`/`reversed` with the money back in ' +
          'the wallet. At most 5 pending withdrawals per user.',
        headers: IdempotencyHeaders,
        body: WithdrawalRequest,
        response: { 202: AcceptedResponse },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const { outcome, initiation } = await requestWithdrawal(db, api, {
        userId,
        bankAccountId: request.body.bank_account_id,
        amount: BigInt(request.body.amount),
        idempotency: requestIdempotency(request, userId, acceptedAnswer),
      });
      if (initiation && 'result' in outcome) logInitiation(request.log, outcome.result.reference, initiation);
      return replyWithOutcome(reply, outcome, acceptedAnswer);
    },
  );

  app.get(
    '/wallet/withdrawals/:reference',
    {
      config: { auth: { allowApiKey: true, permission: 'read' } },
      schema: {
        tags: ['withdrawals'],
        summary: 'A withdrawal’s status',
        description: 'Another user’s reference answers `404 withdrawal_not_found`.',
        params: Type.Object({ reference: Reference }),
        response: { 200: WithdrawalResponse },
      },
    },
    async (request) => {
      const withdrawal = await getWithdrawal(db, principalOf(request).userId, request.params.reference);
      return {
        reference: withdrawal.reference,
        status: withdrawal.status,
        amount: Number(withdrawal.amount),
        fee: Number(withdrawal.fee),
        total: Number(withdrawal.amount + withdrawal.fee),
        bank_account: bankAccountView(withdrawal.bankAccount),
        failure_reason: withdrawal.failureReason,
        created_at: withdrawal.createdAt.toISOString(),
        updated_at: withdrawal.updatedAt.toISOString(),
      };
    },
  );
};
