import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { problem, sendProblem } from './problem.ts';

const WINDOW_MS = 60_000;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Verdict = Awaited<ReturnType<Limiter>>;

function principalKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) throw new Error('per-principal rate limit reached before authentication');
  return principal.via === 'api_key' ? `key:${principal.apiKeyId}` : `user:${principal.userId}`;
}

function isAuthRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/auth/') ?? false;
}

function refuse(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number, detail: string) {
  const seconds = Math.max(1, retryAfterSeconds);
  request.log.info({ code: 'rate_limited', retryAfter: seconds }, 'request refused');
  reply.header('retry-after', seconds);
  return sendProblem(reply, problem('rate_limited', `${detail}; retry in ${seconds} s`, request.id));
}

/** Counts the request; answers 429 once the window's allowance is spent, else reports what is left. */
function enforce(request: FastifyRequest, reply: FastifyReply, verdict: Verdict, detail: string) {
  if (verdict.isAllowed) return undefined;
  reply.header('x-ratelimit-limit', verdict.max);
  reply.header('x-ratelimit-remaining', verdict.remaining);
  reply.header('x-ratelimit-reset', verdict.ttlInSeconds);
  return verdict.isExceeded ? refuse(request, reply, verdict.ttlInSeconds, detail) : undefined;
}

/** What authentication calls when a request's API key is refused with `401`. */
export type FailedApiKeyCounter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Three limits, each over a one-minute window kept in this instance's memory (so N instances
 * allow N times the configured rate), keyed by the client's address as Fastify's `trustProxy`
 * (TRUST_PROXY) determines it:
 * - per signed-in user or API key on every route that takes credentials, checked once the
 *   principal is known and before the body is read;
 * - per client IP on `/auth/*`, whose callback calls out to the identity provider;
 * - per client IP on API key attempts refused with `401`: the returned counter is called by
 *   authentication after a key is refused, and once the address has spent its allowance it throws
 *   `429 rate_limited` instead. A valid key is checked first and never counted, so others' failures
 *   from a shared address (a proxy, an office) never lock it out.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: Config['rateLimits'],
): Promise<FailedApiKeyCounter> {
  // The plugin provides the counters; these hooks decide which one applies to a request.
  await app.register(rateLimit, { global: false });
  const perPrincipal = app.createRateLimit({
    max: limits.walletPerMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: principalKey,
  });
  const authPerIp = app.createRateLimit({ max: limits.authPerMinute, timeWindow: WINDOW_MS });
  const failedKeysPerIp = app.createRateLimit({ max: limits.failedKeyPerMinute, timeWindow: WINDOW_MS });

  app.addHook('onRequest', async (request, reply) => {
    if (isAuthRoute(request)) {
      return enforce(request, reply, await authPerIp(request), 'Too many sign-in requests from your address');
    }
    return undefined;
  });

  // preParsing runs after every onRequest hook, so the authenticator has set the principal.
  app.addHook('preParsing', async (request, reply) => {
    if (!request.principal) return undefined;
    const what = request.principal.via === 'api_key' ? 'this API key' : 'your account';
    return enforce(request, reply, await perPrincipal(request), `Too many requests for ${what}`);
  });

  return async (request, reply) => {
    const failures = await failedKeysPerIp(request);
    if (failures.isAllowed || !failures.isExceeded) return;
    const seconds = Math.max(1, failures.ttlInSeconds);
    reply.header('retry-after', seconds);
    throw new AppError(
      'rate_limited',
      `Too many failed API key attempts from your address; retry in ${seconds} s`,
    );
  };
}
