import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { problem, sendProblem } from './problem.ts';

const WINDOW_MS = 60_000;

/** Prefix of every counter the service keeps in Redis, unless a test gives its own. */
export const DEFAULT_REDIS_NAMESPACE = 'wallet-rate-limit:';

// Every limit is read on the request's path, so Redis gets little time: a local Redis answers in
// well under a millisecond, and a request waits at most this long before it is let through.
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
const REDIS_COMMAND_TIMEOUT_MS = 500;
/** Reconnection delays grow by this much per attempt up to the cap, and go on for ever. */
const REDIS_RETRY_STEP_MS = 100;
const REDIS_RETRY_CAP_MS = 2_000;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Verdict = Awaited<ReturnType<Limiter>>;
/** A limiter's verdict on a request, or `undefined` when the counts could not be read (let through). */
type Count = (request: FastifyRequest) => Promise<Verdict | undefined>;

function principalKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) throw new Error('per-principal rate limit reached before authentication');
  // A key is named by its hash, known before it is looked up: a keyed transfer checks the key in
  // its own statement, after this limit. Half the digest names it as surely and gives Redis less.
  return principal.via === 'jwt'
    ? `user:${principal.userId}`
    : `key:${principal.apiKeyHash.subarray(0, 16).toString('base64url')}`;
}

// In Redis the three limiters share one key space (the plugin names a limiter's keys by its
// namespace alone), so each key says which limit it counts: the sign-in and the failed-key counts
// of one address are two counters, as they are in memory.
const keyFor = {
  principal: (request: FastifyRequest) => `principal:${principalKey(request)}`,
  auth: (request: FastifyRequest) => `auth-ip:${normalizeIP(request.ip)}`,
  failedKey: (request: FastifyRequest) => `failed-key-ip:${normalizeIP(request.ip)}`,
};

function isAuthRoute(request: FastifyRequest): boolean {
  return request.routeOptions.url?.startsWith('/auth/') ?? false;
}

function refuse(request: FastifyRequest, reply: FastifyReply, retryAfterSeconds: number, detail: string) {
  const seconds = Math.max(1, retryAfterSeconds);
  request.log.info({ code: 'rate_limited', retryAfter: seconds }, 'request refused');
  reply.header('retry-after', seconds);
  return sendProblem(reply, problem('rate_limited', `${detail}; retry in ${seconds} s`, request.id));
}

/** Answers 429 once the window's allowance is spent, else reports what is left; nothing when the count is unknown. */
function enforce(request: FastifyRequest, reply: FastifyReply, verdict: Verdict | undefined, detail: string) {
  if (verdict === undefined || verdict.isAllowed) return undefined;
  reply.header('x-ratelimit-limit', verdict.max);
  reply.header('x-ratelimit-remaining', verdict.remaining);
  reply.header('x-ratelimit-reset', verdict.ttlInSeconds);
  return verdict.isExceeded ? refuse(request, reply, verdict.ttlInSeconds, detail) : undefined;
}

/** What authentication calls when a request's API key is refused with `401`. */
export type FailedApiKeyCounter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Where the counts are kept and how they are named. */
export interface RateLimitOptions {
  limits: Config['rateLimits'];
  /** REDIS_URL: counts shared by every instance through this Redis; `undefined` keeps them in memory. */
  redisUrl: string | undefined;
  /** Prefix of the keys in Redis (`DEFAULT_REDIS_NAMESPACE`); tests give each app its own. */
  redisNamespace?: string;
}

/**
 * Three limits, each over a one-minute window, keyed by the client's address as Fastify's
 * `trustProxy` (TRUST_PROXY) determines it:
 * - per signed-in user or API key on every route that takes credentials, checked once the
 *   principal is known and before the body is read;
 * - per client IP on `/auth/*`, whose callback calls out to the identity provider;
 * - per client IP on API key attempts refused with `401`: the returned counter is called by
 *   authentication after a key is refused, and once the address has spent its allowance it throws
 *   `429 rate_limited` instead. A valid key is checked first and never counted, so others' failures
 *   from a shared address (a proxy, an office) never lock it out.
 *
 * Without `redisUrl` the counts live in this instance's memory, so N instances allow N times each
 * limit; with it they live in Redis and every instance shares them. A Redis that cannot be reached
 * (or takes more than 500 ms) lets requests through uncounted rather than failing them, logs a
 * warning once per outage and an info line when it answers again; the client reconnects by itself
 * and is closed with the app. Says at start which of the two it is, in one log line.
 */
export async function registerRateLimits(
  app: FastifyInstance,
  options: RateLimitOptions,
): Promise<FailedApiKeyCounter> {
  const log = app.log.child({ component: 'rate-limit' });
  let shared: SharedCounts | undefined;
  if (options.redisUrl === undefined) {
    log.info(
      'rate limits are counted per instance (in memory): N instances allow N times each limit; set REDIS_URL to share them',
    );
  } else {
    const where = redactRedisUrl(options.redisUrl);
    log.info({ redis: where }, `rate limits are shared by every instance through Redis at ${where}`);
    shared = await connectRedis(app, log, options.redisUrl);
  }
  // The plugin provides the counters; these hooks decide which one applies to a request.
  await app.register(rateLimit, {
    global: false,
    ...(shared ? { redis: shared.client, nameSpace: options.redisNamespace ?? DEFAULT_REDIS_NAMESPACE } : {}),
  });
  const { limits } = options;
  const counter = (max: number, keyGenerator: (request: FastifyRequest) => string): Count => {
    const limiter = app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator });
    return shared ? shared.failOpen(limiter) : limiter;
  };
  const perPrincipal = counter(limits.walletPerMinute, keyFor.principal);
  const authPerIp = counter(limits.authPerMinute, keyFor.auth);
  const failedKeysPerIp = counter(limits.failedKeyPerMinute, keyFor.failedKey);

  app.addHook('onRequest', async (request, reply) => {
    if (isAuthRoute(request)) {
      return enforce(request, reply, await authPerIp(request), 'Too many sign-in requests from your address');
    }
    return undefined;
  });

  // preParsing runs after every onRequest hook, so the authenticator has set the principal.
  app.addHook('preParsing', async (request, reply) => {
    if (!request.principal) return undefined;
    const what = request.principal.via === 'jwt' ? 'your account' : 'this API key';
    return enforce(request, reply, await perPrincipal(request), `Too many requests for ${what}`);
  });

  return async (request, reply) => {
    const failures = await failedKeysPerIp(request);
    if (failures === undefined || failures.isAllowed || !failures.isExceeded) return;
    const seconds = Math.max(1, failures.ttlInSeconds);
    reply.header('retry-after', seconds);
    throw new AppError(
      'rate_limited',
      `Too many failed API key attempts from your address; retry in ${seconds} s`,
    );
  };
}

interface SharedCounts {
  client: Redis;
  /** The limiter, answering `undefined` (and noting the outage) when Redis fails instead of throwing. */
  failOpen(limiter: Limiter): Count;
}

/**
 * A Redis client for the counts, connected (or given up on for now) before the app listens, so
 * the first requests find it ready. Every call is bounded: `connectTimeout` for a connection,
 * `commandTimeout` for a command; no offline queue and no retry of a command, so while Redis is
 * away a limit read fails at once instead of waiting for a reconnection.
 */
async function connectRedis(
  app: FastifyInstance,
  log: FastifyBaseLogger,
  url: string,
): Promise<SharedCounts> {
  // Loaded only when REDIS_URL is set: an instance counting in memory never loads the client.
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * REDIS_RETRY_STEP_MS, REDIS_RETRY_CAP_MS),
    connectionName: 'wallet-rate-limit',
  });
  const outage = outageLog(log, redactRedisUrl(url));
  // Without a listener ioredis prints every failed reconnection to stderr.
  client.on('error', (error: Error) => outage.down(error));
  client.on('ready', () => outage.up());
  app.addHook('onClose', async () => client.disconnect());

  const first = await firstConnection(client, REDIS_CONNECT_TIMEOUT_MS + REDIS_COMMAND_TIMEOUT_MS);
  if (first !== 'ready') outage.down(first);
  return {
    client,
    failOpen: (limiter) => async (request) => {
      try {
        const verdict = await limiter(request);
        outage.up();
        return verdict;
      } catch (error) {
        outage.down(error);
        return undefined;
      }
    },
  };
}

/** Resolves with `'ready'` once the client is connected, or with why it is not after `timeoutMs`. */
function firstConnection(client: Redis, timeoutMs: number): Promise<'ready' | Error> {
  return new Promise((resolve) => {
    const done = (result: 'ready' | Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      resolve(result);
    };
    const onReady = () => done('ready');
    const onError = (error: Error) => done(error);
    const timer = setTimeout(() => done(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    client.once('ready', onReady);
    client.once('error', onError);
  });
}

interface OutageLog {
  down(error: unknown): void;
  up(): void;
}

/**
 * Logs Redis going away once (warn) and coming back once (info), however many requests and
 * reconnection attempts fail in between.
 */
function outageLog(log: FastifyBaseLogger, where: string): OutageLog {
  // `undefined` until the first connection or failure: the first connection is not a recovery.
  let reachable: boolean | undefined;
  return {
    down(error) {
      if (reachable === false) return;
      reachable = false;
      const reason = error instanceof Error ? error.message : String(error);
      log.warn(
        { redis: where, reason },
        'Redis unreachable: rate limits are NOT enforced (requests are let through) until it answers again',
      );
    },
    up() {
      if (reachable === true) return;
      const wasDown = reachable === false;
      reachable = true;
      if (wasDown) log.info({ redis: where }, 'Redis reachable again: rate limits are enforced again');
    },
  };
}

/** `url` as logged: the password replaced, the query (which may carry one) dropped. */
export function redactRedisUrl(url: string): string {
  const parsed = new URL(url);
  const user = parsed.username === '' ? '' : parsed.username;
  const credentials = parsed.password === '' ? (user === '' ? '' : `${user}@`) : `${user}:[Redacted]@`;
  return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}
