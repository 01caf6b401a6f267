import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type IdempotencyScope,
  type IdempotentOutcome,
  idempotencyScope,
  type StoredResponse,
} from './idempotency.ts';

/** The request's `Idempotency-Key` scope for this user: its route, method and body, or none without a key. */
export function requestIdempotencyScope(
  request: FastifyRequest,
  userId: string,
): IdempotencyScope | undefined {
  const key = request.headers['idempotency-key'];
  return idempotencyScope(userId, typeof key === 'string' ? key : undefined, {
    method: request.method,
    path: request.routeOptions.url ?? request.url,
    body: request.body,
  });
}

/** Sends an idempotent outcome; a replay says so in `Idempotency-Hit: true`, as Stripe's does. */
export function replyWithOutcome<T extends StoredResponse>(
  reply: FastifyReply,
  outcome: IdempotentOutcome<T>,
): FastifyReply {
  if (outcome.replayed) reply.header('idempotency-hit', 'true');
  if ('refusal' in outcome) throw outcome.refusal;
  return reply.code(outcome.response.status).send(outcome.response.body);
}
