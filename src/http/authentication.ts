import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../auth/authenticate.ts';
import type { Principal, UncheckedApiKey } from '../auth/permissions.ts';
import {
  CSRF_HEADER,
  cookieCount,
  csrfTokenMatches,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
} from '../auth/session.ts';
import type { Queryable } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { FailedApiKeyCounter } from './rate-limit.ts';

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) {
    throw new AppError('ambiguous_credentials', `Send the ${name} header once`);
  }
  return value;
}

/**
 * The session cookie's value: the `__Host-` one when present, else, on a request that did not come
 * over https, the plain one. Two cookies of that name mean someone else set one for a narrower path
 * or a parent domain (a page on a sibling host can): which is the person's own cannot be told, so
 * the request is refused rather than run as whoever planted theirs.
 */
function sessionCookie(request: FastifyRequest): string | undefined {
  const name =
    request.cookies[SECURE_SESSION_COOKIE] !== undefined || request.protocol === 'https'
      ? SECURE_SESSION_COOKIE
      : SESSION_COOKIE;
  const value = request.cookies[name];
  if (value !== undefined && cookieCount(request.headers.cookie, name) > 1) {
    throw new AppError(
      'invalid_token',
      'More than one web wallet session cookie was sent; another site on this domain may have set one. Clear this site’s cookies and sign in again',
    );
  }
  return value;
}

/** Methods that change nothing, so a cross-site request with them can do no harm. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfRefused(detail: string): AppError {
  return new AppError('csrf_refused', detail);
}

/**
 * The CSRF defence of a state-changing request authenticated by the session cookie, checked
 * before any database work. SameSite=Strict already keeps the cookie off cross-site requests in
 * current browsers; these checks hold without it: the browser's own `Sec-Fetch-Site` and `Origin`
 * must say the request came from this origin when the browser sends them, and the session's CSRF
 * token must be in `x-csrf-token`, a header a cross-origin page cannot set without a CORS
 * preflight the service never grants, and a value it cannot read.
 */
function refuseCrossSite(request: FastifyRequest, session: string, jwtSecret: Uint8Array): void {
  if (SAFE_METHODS.has(request.method)) return;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') {
    throw csrfRefused(`A ${site} request cannot use the web wallet’s session`);
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) {
    throw csrfRefused('A request from another origin cannot use the web wallet’s session');
  }
  const token = request.headers[CSRF_HEADER];
  if (!csrfTokenMatches(session, typeof token === 'string' ? token : undefined, jwtSecret)) {
    throw csrfRefused(`Send the session’s CSRF token (from GET /auth/session) in ${CSRF_HEADER}`);
  }
}

/**
 * Routes opt in with `config.auth`; this turns their credentials into `request.principal` before
 * anything else runs, and documents each route's security and required permission in OpenAPI.
 * Without an `Authorization` or `x-api-key` header the web wallet's session cookie is the
 * credential (then `request.sessionToken` is set), and a state-changing request must pass the
 * CSRF checks of `refuseCrossSite`.
 */
export function registerAuthentication(
  app: FastifyInstance,
  deps: { db: Queryable; jwtSecret: Uint8Array; countFailedApiKey: FailedApiKeyCounter },
): void {
  /**
   * Only refused keys are counted: a request that sent `x-api-key` and was answered `401` (and,
   * past the address's allowance, answered `429` instead, which this then throws).
   */
  const countIfKeyRefused = async (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (request.headers['x-api-key'] !== undefined && error instanceof AppError && error.status === 401) {
      await deps.countFailedApiKey(request, reply);
    }
  };

  app.decorateRequest('principal', null);
  app.decorateRequest('sessionToken', null);

  app.addHook('onRoute', (route) => {
    const policy = route.config?.auth;
    if (!policy) return;
    const anyOf = policy.permission === undefined ? [] : [policy.permission].flat();
    const named = anyOf.map((permission) => `\`${permission}\``).join(' or ');
    const access = !policy.allowApiKey
      ? 'Bearer JWT only; API keys are refused.'
      : anyOf.length === 0
        ? 'Bearer JWT, or any API key.'
        : `Bearer JWT, or an API key with the ${named} permission.`;
    // A copy, never the route's own object: a schema may be a module constant that every app
    // built in this process registers, and must not collect one access note per app.
    const schema: Record<string, unknown> = { ...route.schema };
    schema.security = policy.allowApiKey ? [{ bearerAuth: [] }, { apiKeyAuth: [] }] : [{ bearerAuth: [] }];
    if (policy.permission) schema['x-required-permission'] = policy.permission;
    schema.description = [schema.description, `**Access:** ${access}`].filter(Boolean).join('\n\n');
    route.schema = schema;
    if (policy.checkedInStatement) {
      // The handler's statement checks the key, so its refusals are counted as the hook's are.
      const handler = route.handler;
      route.handler = async function checkingKeyInStatement(request, reply) {
        try {
          return await handler.call(this, request, reply);
        } catch (error) {
          await countIfKeyRefused(request, reply, error);
          throw error;
        }
      };
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const policy = request.routeOptions.config.auth;
    if (!policy) return;
    const apiKey = singleHeader(request, 'x-api-key');
    const authorization = singleHeader(request, 'authorization');
    // A header, the explicit credential, wins over whatever cookies the browser holds.
    const cookie = authorization === undefined && apiKey === undefined ? sessionCookie(request) : undefined;
    const session = cookie === '' ? undefined : cookie;
    if (session !== undefined) {
      refuseCrossSite(request, session, deps.jwtSecret);
      request.sessionToken = session;
    }
    // An Idempotency-Key is scoped by user, so such a request needs its key's user before its statement.
    const keyCheckable = request.headers['idempotency-key'] === undefined;
    try {
      request.principal = await authenticate({ authorization, apiKey, session, keyCheckable }, policy, deps);
    } catch (error) {
      await countIfKeyRefused(request, reply, error);
      throw error;
    }
  });
}

/** The caller behind a protected route's request; reaching a handler without one is a bug. */
export function callerOf(request: FastifyRequest): Principal | UncheckedApiKey {
  if (!request.principal) throw new Error(`Route ${request.routeOptions.url} has no auth policy`);
  return request.principal;
}

/** The principal of a protected route's request, its credentials checked. */
export function principalOf(request: FastifyRequest): Principal {
  const caller = callerOf(request);
  if (caller.via === 'unchecked_api_key') {
    throw new Error(`Route ${request.routeOptions.url} checks its key in its statement: use callerOf`);
  }
  return caller;
}
