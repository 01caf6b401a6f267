import type { FastifyReply } from 'fastify';
import type { IdempotentOutcome, StoredResponse } from './idempotency.ts';

/** Sends an idempotent outcome; a replay says so in `Idempotency-Hit: true`, as Stripe's does. */
export function replyWithOutcome<T extends StoredResponse>(
  reply: FastifyReply,
  outcome: IdempotentOutcome<T>,
): FastifyReply {
  if (outcome.replayed) reply.header('idempotency-hit', 'true');
  if ('refusal' in outcome) throw outcome.refusal;
  return reply.code(outcome.response.status).send(outcome.response.body);
}
