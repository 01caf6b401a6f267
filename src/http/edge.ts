import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerOptions } from 'node:http';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { problem, sendProblem } from './problem.ts';

/**
 * How long one connection may take, in milliseconds (SPEC "Limits and hardening"). Production uses
 * `DEFAULT_DEADLINES`; tests shorten them through `buildApp`'s deps so they need not wait 30 s.
 */
export interface HttpDeadlines {
  /** The request line and headers must have arrived within this. */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must have arrived within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_DEADLINES: HttpDeadlines = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

/** JSON bodies above this are refused with 413 before they are read; the webhook sets its own. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** The deadlines as Fastify and `http.createServer` options. */
export function deadlineOptions(deadlines: HttpDeadlines): Pick<
  FastifyServerOptions,
  'requestTimeout' | 'keepAliveTimeout' | 'connectionTimeout'
> & {
  http: ServerOptions;
} {
  return {
    requestTimeout: deadlines.requestTimeoutMs,
    keepAliveTimeout: deadlines.keepAliveTimeoutMs,
    // A socket that neither sends nor reads for this long (a client that stopped reading its
    // answer) is destroyed. Twice the request deadline, so a stalled request meets that deadline
    // (and its 408) first rather than a silent close.
    connectionTimeout: 2 * deadlines.requestTimeoutMs,
    http: {
      headersTimeout: deadlines.headersTimeoutMs,
      requestTimeout: deadlines.requestTimeoutMs,
      // Node checks the two deadlines above only this often (30 s by default), which would let a
      // stalled client stay up to 30 s past them.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(deadlines.headersTimeoutMs / 4)),
    },
  };
}

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

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * A request no route answers is refused in `onRequest`, before its body is read: `405` with `Allow`
 * when the path exists under other methods, else `404`. When a body was announced the connection
 * is closed after the answer, so the server never reads (or waits for) a body it will not use.
 */
export function refuseUnroutedBeforeBody(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter(
      (method) => method !== request.method && app.findRoute({ method, url: path }) !== null,
    );
    const length = request.headers['content-length'];
    if (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
      reply.header('connection', 'close');
    }
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problem(
          'method_not_allowed',
          `${path} takes ${allowed.join(', ')}, not ${request.method}`,
          request.id,
        ),
      );
    }
    return sendProblem(reply, problem('not_found', `No route for ${request.method} ${path}`, request.id));
  });
}

/**
 * Whether `error` is the client going away mid-request (Node's `aborted` request error, code
 * `ECONNRESET`, on a closed socket): routine on the open internet, logged at debug without a stack
 * and never answered, as nobody is there to read the answer.
 */
export function isClientAbort(error: unknown, request: FastifyRequest): boolean {
  const socket = request.raw.socket as IncomingMessage['socket'] | null;
  return (error as { code?: unknown }).code === 'ECONNRESET' && (socket === null || socket.destroyed);
}
