import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.ts';
import type { DepositConfirmation } from '../deposits/confirm.ts';
import { receivePaystackWebhook, type WebhookOutcome } from '../inbound/paystack-webhook.ts';
import { disputeLogEntry, refundLogEntry } from '../refunds/outcome-log.ts';
import { settlementLogEntry } from '../withdrawals/settlement-log.ts';

export const PAYSTACK_WEBHOOK_PATH = '/wallet/paystack/webhook';
/** Paystack's events are a few kilobytes. */
const WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

function logDeposit(log: FastifyBaseLogger, outcome: DepositConfirmation): void {
  switch (outcome.kind) {
    case 'credited':
      if (outcome.previouslyFailed) {
        log.warn(
          { reference: outcome.reference, amount: String(outcome.amount) },
          'failed deposit paid after all: credited',
        );
      } else {
        log.info({ reference: outcome.reference, amount: String(outcome.amount) }, 'deposit credited');
      }
      return;
    case 'already_credited':
      log.info({ reference: outcome.reference }, 'duplicate charge.success: deposit already credited');
      return;
    case 'unknown_reference':
      log.warn({ reference: outcome.reference }, 'charge.success for an unknown reference: ignored');
      return;
    case 'flagged':
      log.error(
        { reference: outcome.reference, reason: outcome.reason },
        'Paystack payment NOT credited and flagged for review',
      );
      return;
  }
}

function logOutcome(log: FastifyBaseLogger, outcome: WebhookOutcome): void {
  switch (outcome.kind) {
    case 'deposit':
      logDeposit(log, outcome.confirmation);
      return;
    case 'withdrawal': {
      const entry = settlementLogEntry(outcome.settlement, outcome.event);
      log[entry.level](entry.fields, entry.message);
      return;
    }
    case 'refund': {
      const entry = refundLogEntry(outcome.refund);
      log[entry.level](entry.fields, entry.message);
      return;
    }
    case 'dispute': {
      const entry = disputeLogEntry(outcome.dispute);
      log[entry.level](entry.fields, entry.message);
      return;
    }
    case 'ignored_event':
      log.info({ event: outcome.event }, 'Paystack event ignored');
      return;
    case 'unstorable_event':
      log.warn(
        { detail: outcome.detail },
        'Paystack event with text that cannot be stored: acknowledged and ignored',
      );
      return;
  }
}

export const paystackWebhookRoutes: FastifyPluginAsyncTypebox<{ db: Database; secretKey: string }> = async (
  app,
  { db, secretKey },
) => {
  // The signature covers the bytes as sent; parsed and re-serialized JSON would differ. In this
  // plugin only, JSON bodies stay the Buffer they arrived as, and nothing but JSON is taken.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.post(
    PAYSTACK_WEBHOOK_PATH,
    {
      schema: {
        tags: ['paystack'],
        summary: 'Paystack webhook',
        description:
          'Paystack’s event, signed: `x-paystack-signature` is the hex HMAC-SHA512 of the body bytes under ' +
          'the Paystack secret key; otherwise `401 invalid_signature` and nothing changes. `charge.success` ' +
          'for a pending deposit of the same amount and currency credits the wallet exactly once, however ' +
          'often it is delivered (also one marked `failed` after a declined attempt: Paystack’s word that ' +
          'the money arrived wins); a mismatch credits nothing, fails the deposit and flags it for review. ' +
          '`transfer.success`, `transfer.failed` and `transfer.reversed` settle the withdrawal with that ' +
          'reference exactly once, in any order (`failed` after `success` is ignored; `reversed` after ' +
          '`success` returns the money). Other events, unknown references and events with text that cannot ' +
          'be stored (U+0000, a lone surrogate) are acknowledged and change nothing.',
        headers: Type.Object({ 'x-paystack-signature': Type.Optional(Type.String()) }),
        body: Type.Unknown({ description: 'Paystack event: `{"event": "charge.success", "data": {...}}`' }),
        response: { 200: Type.Object({ status: Type.Literal(true) }) },
      },
    },
    async (request) => {
      const outcome = await receivePaystackWebhook(db, {
        rawBody: Buffer.isBuffer(request.body) ? request.body : undefined,
        signature: request.headers['x-paystack-signature'],
        secretKey,
      });
      logOutcome(request.log, outcome);
      return { status: true as const };
    },
  );
};
