import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AuthenticationPolicy } from './auth/authenticate.ts';
import { createGoogleSignIn, type GoogleSignIn } from './auth/google.ts';
import type { Principal, UncheckedApiKey } from './auth/permissions.ts';
import type { Config } from './config.ts';
import { type Database, type DatabaseHandle, queryRows } from './db/client.ts';
import { registerAuthentication } from './http/authentication.ts';
import {
  BODY_LIMIT_BYTES,
  DEFAULT_DEADLINES,
  deadlineOptions,
  type HttpDeadlines,
  isClientAbort,
  originFormUrl,
  refuseUnroutedBeforeBody,
  requestIdOf,
} from './http/edge.ts';
import { registerJsonBody } from './http/json-body.ts';
import { countRequests, registerMetricsRoute } from './http/metrics.ts';
import { documentProblems } from './http/openapi.ts';
import { PROBLEM_CONTENT_TYPE, problem, sendProblem, toProblem } from './http/problem.ts';
import { registerRateLimits } from './http/rate-limit.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { loadWebAssets } from './http/web-assets.ts';
import type { Resolver } from './notifications/url-guard.ts';
import { startWebhookWorker, type WebhookWorker } from './notifications/worker.ts';
import { type PaystackAccount, type PaystackSetup, setUpPaystack } from './paystack/setup.ts';
import { startReconciler } from './reconciler/loop.ts';
import { reconcilerPasses } from './reconciler/passes.ts';
import { authRoutes } from './routes/auth.ts';
import { bankAccountRoutes } from './routes/bank-accounts.ts';
import { depositRoutes } from './routes/deposits.ts';
import { healthRoutes } from './routes/health.ts';
import { keyRoutes } from './routes/keys.ts';
import { paystackWebhookRoutes } from './routes/paystack-webhook.ts';
import { walletRoutes } from './routes/wallet.ts';
import { webRoutes } from './routes/web.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { withdrawalRoutes } from './routes/withdrawals.ts';
import { BankDirectory } from './withdrawals/banks.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Present on protected routes: which credentials they take and the permission a key needs. */
    auth?: AuthenticationPolicy;
  }
  interface FastifyRequest {
    principal: Principal | UncheckedApiKey | null;
    /** The web wallet's session cookie when it, not a header, authenticated the request. */
    sessionToken: string | null;
  }
  interface FastifyInstance {
    /** This instance's outgoing webhook worker: `step()` for tests, `metrics()` for operations. */
    webhookWorker: WebhookWorker;
  }
}

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger?: FastifyServerOptions['logger'];
  /** Paystack client settings a test may tighten; the key and URLs come from `config`. */
  paystack?: { timeoutMs?: number };
  /** Connection deadlines; SPEC's (`DEFAULT_DEADLINES`) unless a test shortens them. */
  deadlines?: HttpDeadlines;
  /** Outgoing webhooks: a test's resolver for the URL guard, and a shorter poll of the worker. */
  webhooks?: { resolve?: Resolver; pollIntervalMs?: number };
  /** A prefix of the rate limits' keys in Redis of the test's own, so tests never share counts. */
  rateLimits?: { redisNamespace?: string };
}

/**
 * The service as one Fastify app: routes, authentication, rate limits and the OpenAPI document.
 * Without Google or Paystack credentials in `deps.config` it mounts the local stand-ins (dev
 * sign-in provider, Paystack simulator) and uses them over HTTP; only then are their modules loaded.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = createFastify(deps.logger, deps.config.trustProxy, deps.deadlines ?? DEFAULT_DEADLINES);
  app.server.maxConnections = deps.config.maxConnections;
  countRequests(app);
  // Before the early 404/405, whose answers skip every later onRequest hook, so they get the headers.
  await registerSecurityHeaders(app);
  refuseUnroutedBeforeBody(app);
  registerJsonBody(app);
  await app.register(cookie);
  await registerOpenApi(app);

  const countFailedApiKey = await registerRateLimits(app, {
    limits: deps.config.rateLimits,
    redisUrl: deps.config.redisUrl,
    redisNamespace: deps.rateLimits?.redisNamespace,
  });
  registerAuthentication(app, { db: deps.database.db, jwtSecret: deps.config.jwtSecret, countFailedApiKey });

  await app.register(healthRoutes, { database: deps.database });
  const signIn = await googleSignIn(app, deps.config);
  await app.register(authRoutes, { db: deps.database.db, config: deps.config, signIn });
  await app.register(walletRoutes, { db: deps.database.db });
  const paystack = setUpPaystack(await paystackAccount(app, deps.config.paystack, deps.config.dataDir), {
    callbackUrl: deps.config.paystack.callbackUrl,
    timeoutMs: deps.paystack?.timeoutMs,
  });
  await app.register(depositRoutes, { db: deps.database.db, paystack });
  await app.register(paystackWebhookRoutes, { db: deps.database.db, secretKey: paystack.secretKey });
  await app.register(bankAccountRoutes, {
    db: deps.database.db,
    api: paystack.client,
    banks: new BankDirectory(paystack.client),
  });
  await app.register(withdrawalRoutes, { db: deps.database.db, api: paystack.client });
  await app.register(keyRoutes, { db: deps.database.db, config: deps.config });
  await app.register(webhookRoutes, {
    db: deps.database.db,
    urlPolicy: { allowPrivateUrls: deps.config.webhooks.allowPrivateUrls, resolve: deps.webhooks?.resolve },
  });
  await app.register(webRoutes, { assets: await loadWebAssets() });
  registerReconciler(app, deps, paystack.client);
  const worker = registerWebhookWorker(app, deps);
  registerMetricsRoute(app, {
    token: deps.config.metricsToken,
    pool: () => deps.database.poolFigures(),
    lockWaits: deps.database.driver === 'postgres' ? () => countLockWaits(deps.database.db) : undefined,
    webhooks: () => worker.metrics(),
  });

  return app;
}

/**
 * The reconciler of this instance (SPEC "Reconciliation"), every RECONCILE_INTERVAL from the
 * start until the app closes: pending deposits and withdrawals older than RECONCILE_MIN_AGE are
 * verified with Paystack and settled through the webhook's own functions (`reconcilerPasses`).
 */
function registerReconciler(app: FastifyInstance, deps: AppDeps, paystack: PaystackSetup['client']): void {
  const { intervalMs, minAgeMs } = deps.config.reconcile;
  const log = app.log.child({ component: 'reconciler' });
  const reconciler = startReconciler({
    intervalMs,
    log,
    passes: reconcilerPasses({ db: deps.database.db, paystack, minAgeMs, intervalMs, log }),
  });
  app.addHook('onClose', () => reconciler.stop());
}

/**
 * The outgoing webhook worker of this instance (SPEC "Notifications to client applications"),
 * from the start until the app closes: it fans out the outbox's events and delivers them, with
 * every other instance on the same database (`src/notifications/worker.ts`).
 */
function registerWebhookWorker(app: FastifyInstance, deps: AppDeps): WebhookWorker {
  const worker = startWebhookWorker({
    db: deps.database.db,
    config: deps.config.webhooks,
    log: app.log.child({ component: 'webhooks' }),
    resolve: deps.webhooks?.resolve,
    pollIntervalMs: deps.webhooks?.pollIntervalMs,
  });
  app.decorate('webhookWorker', worker);
  app.addHook('onClose', () => worker.stop());
  return worker;
}

/** Sessions of the service's database (PostgreSQL) waiting for a lock now. */
async function countLockWaits(db: Database): Promise<number> {
  const [row] = await queryRows<{ waiting: number }>(
    db,
    sql`select count(*)::int as waiting from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return row?.waiting ?? 0;
}

/** Fastify with request ids and every error, the router's own included, as problem details. */
function createFastify(
  logger: AppDeps['logger'],
  trustProxy: Config['trustProxy'],
  deadlines: HttpDeadlines,
) {
  // Which forwarding headers name the client, for rate limits and logs (TRUST_PROXY).
  const proxies: FastifyServerOptions['trustProxy'] =
    typeof trustProxy === 'number'
      ? (_address: string, hop: number) => hop < trustProxy
      : typeof trustProxy === 'object'
        ? [...trustProxy]
        : trustProxy;
  const app = Fastify({
    logger: logger ?? false,
    trustProxy: proxies,
    bodyLimit: BODY_LIMIT_BYTES,
    ...deadlineOptions(deadlines),
    // Fastify's own header reading would take any x-request-id before `requestIdOf` sees it.
    requestIdHeader: false,
    genReqId: requestIdOf,
    rewriteUrl: originFormUrl,
    ajv: {
      // Money must arrive as JSON integers: no coercion from strings, and unknown fields are
      // refused rather than silently dropped.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
    },
    routerOptions: { ignoreTrailingSlash: false },
    // The router's own refusals (an over-long path parameter, a malformed URL) skip the error
    // handler; render them as problem details too.
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error, request)),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Bodies are JSON only: Fastify's default text/plain parser is dropped.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    if (isClientAbort(error, request)) {
      request.log.debug({ code: 'ECONNRESET' }, 'client aborted the request');
      return reply;
    }
    const body = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, detail: body.detail }, 'request refused');
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`, request.id),
    ),
  );
  return app;
}

/** The OpenAPI document of every route registered after this, at `/openapi.json` and `/docs`. */
async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Wallet service',
        version: '1.0.0',
        description:
          'Wallets funded through Paystack, instant wallet-to-wallet transfers and scoped API keys. ' +
          `Errors are RFC 9457 problem details (${PROBLEM_CONTENT_TYPE}) with a stable \`code\`.`,
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKeyAuth: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
    },
    transformObject: documentProblems,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/**
 * Google as configured or, without GOOGLE_CLIENT_ID, the dev sign-in provider mounted in this app.
 * The stand-in is imported here and only then, so a production process never loads `src/dev/`.
 */
async function googleSignIn(app: FastifyInstance, config: Config): Promise<GoogleSignIn> {
  const { clientId, clientSecret, issuer, redirectUri } = config.google;
  if (clientId !== undefined && clientSecret !== undefined) {
    return createGoogleSignIn({ issuer, clientId, clientSecret, redirectUri, jwtSecret: config.jwtSecret });
  }
  const { mountDevSignIn } = await import('./dev/dev-sign-in.ts');
  return mountDevSignIn(app, config);
}

/**
 * Paystack as configured or, without PAYSTACK_SECRET_KEY, the simulator mounted in this app, its
 * checkouts kept under `dataDir`. The
 * stand-in is imported here and only then, so a production process never loads `src/dev/`.
 */
async function paystackAccount(
  app: FastifyInstance,
  config: Config['paystack'],
  dataDir: string,
): Promise<PaystackAccount> {
  if (config.secretKey !== undefined) return { secretKey: config.secretKey, baseUrl: config.baseUrl };
  const { mountPaystackSimulator } = await import('./dev/paystack/mount.ts');
  return mountPaystackSimulator(app, dataDir);
}
