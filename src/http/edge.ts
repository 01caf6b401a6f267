import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SANE_REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,128}$/;

/**
 * The request's id: the caller's `x-request-id` when it is sane (at most 128 letters, digits and
 * `-_.:`, SPEC "Operations"), else a new UUID. Used as Fastify's `genReqId` with Fastify's own
 * header reading switched off, so markup or an over-long value is never echoed or logged.
 */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
