import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type IdempotentOutcome,
  type IdempotentRequest,
  idempotencyScope,
  type StoredResponse,
} from '../idempotency/store.ts';

/**
 * The request's `Idempotency-Key` for this user, scoped to its route, method and body, with the
 * route's `answer` to its result; none when the request carries no key.
 */
export function requestIdempotency<T>(
  request: FastifyRequest,
  userId: string,
  answer: (result: T) => StoredResponse,
): IdempotentRequest<T> | undefined {
  const key = request.headers['idempotency-key'];
  const scope = idempotencyScope(userId, typeof key === 'string' ? key : undefined, {
    method: request.method,
    path: request.routeOptions.url ?? request.url,
    body: request.body,
  });
  return scope && { scope, answer };
}

/**
 * Sends an idempotent outcome: a fresh result through the route's `answer`, a replay as first
 * sent, saying so in `Idempotency-Hit: true` as Stripe's does; a refusal is thrown to the error
 * handler, which renders it as a problem.
 */
export function replyWithOutcome<T>(
  reply: FastifyReply,
  outcome: IdempotentOutcome<T>,
  answer: (result: T) => StoredResponse,
): FastifyReply {
  if (outcome.replayed) reply.header('idempotency-hit', 'true');
  if ('refusal' in outcome) throw outcome.refusal;
  const response = 'result' in outcome ? answer(outcome.result) : outcome.response;
  return reply.code(response.status).send(response.body);
}
