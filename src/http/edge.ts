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

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The request target in origin form: `GET http://evil.example/auth/google` (absolute form, RFC 9112
 * 3.2.2) becomes `/auth/google`, so nothing downstream, the router, redirects or logs, ever sees a
 * host the client chose in the request line. Used as Fastify's `rewriteUrl`.
 */
export function originFormUrl(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const authority = url.startsWith('/') ? null : ABSOLUTE_FORM.exec(url);
  if (authority === null) return url;
  const rest = url.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}
