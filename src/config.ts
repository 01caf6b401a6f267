import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { invariant } from './errors.ts';

/**
 * The service's whole configuration, read once from the environment (and `.env` when present),
 * validated, and frozen. Every variable of SPEC.md's table appears here and nowhere else.
 */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** `undefined` means the embedded PGlite database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly jwtSecret: Uint8Array;
  readonly jwtTtlSeconds: number;
  readonly google: {
    /** `undefined` means the local dev sign-in provider stands in for Google. */
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly issuer: string;
    readonly redirectUri: string;
  };
  readonly paystack: {
    /** `undefined` means the local Paystack simulator stands in for Paystack. */
    readonly secretKey: string | undefined;
    readonly baseUrl: string;
    readonly callbackUrl: string | undefined;
  };
  /** Requests allowed per minute and per instance; see `src/http/rate-limit.ts`. */
  readonly rateLimits: {
    /** Per signed-in user or API key, on every route that takes credentials. */
    readonly walletPerMinute: number;
    /** Per client IP address, on `/auth/*`. */
    readonly authPerMinute: number;
    /** Per client IP address: API key attempts answered `401`; beyond it, that address's failed attempts get `429`. */
    readonly failedKeyPerMinute: number;
  };
  /** LOG_LEVEL: one of pino's levels. */
  readonly logLevel: string;
  /**
   * TRUST_PROXY as Fastify's `trustProxy`: which X-Forwarded-* headers decide the client's address
   * (rate limits, logs). `false`: none, the TCP peer is the client; `true`: every hop; a number: that
   * many hops; a list: the proxies' addresses or CIDRs (or proxy-addr's `loopback`, `linklocal`,
   * `uniquelocal`).
   */
  readonly trustProxy: boolean | number | readonly string[];
  /** Settings that start but are probably mistakes (a localhost redirect in production), for the log. */
  readonly warnings: readonly string[];
  /** MAX_CONNECTIONS: open connections accepted at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** The reconciler (`src/reconciler/`): how often it runs, and how old a pending item must be before it asks Paystack. */
  readonly reconcile: {
    /** RECONCILE_INTERVAL, 1 s to 1 h. */
    readonly intervalMs: number;
    /** RECONCILE_MIN_AGE, 0 s to 24 h. */
    readonly minAgeMs: number;
  };
  /** Outgoing webhooks (SPEC "Notifications to client applications"). */
  readonly webhooks: {
    /** WEBHOOK_RETRY_SCHEDULE: the delays before the 2nd, 3rd, … attempt; its length bounds the retries. */
    readonly retryScheduleMs: readonly number[];
    /** WEBHOOK_TIMEOUT: how long a receiver may take to answer, 1 s to 60 s. */
    readonly timeoutMs: number;
    /**
     * Whether endpoint URLs may be `http://` and point at loopback, private, link-local or
     * metadata addresses: outside production always; in production only with
     * WEBHOOK_ALLOW_PRIVATE_URLS=true.
     */
    readonly allowPrivateUrls: boolean;
  };
  /** REDIS_URL: where rate limits are counted for every instance; `undefined` counts them per instance. */
  readonly redisUrl: string | undefined;
  /** METRICS_TOKEN: the bearer token `/metrics` requires; `undefined` answers loopback requests only. */
  readonly metricsToken: string | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the OTLP/HTTP base URL traces go to (`/v1/traces`); `undefined` loads no tracing. */
  readonly otlpEndpoint: string | undefined;
}

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.variable = variable;
    this.name = 'ConfigError';
  }
}

/**
 * Every variable that is wrong, in one error (`variable` is the first one), so a deployment learns
 * them all from one attempt. The message stays one line: the refusals joined by "; ".
 */
export class ConfigErrors extends ConfigError {
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    const [first] = errors;
    if (!first) throw new Error('ConfigErrors needs at least one error');
    super(first.variable, '');
    this.errors = errors;
    this.message = errors.map((error) => error.message).join('; ');
    this.name = 'ConfigError';
  }
}

/** Runs one variable's parser; a refusal is collected and `fallback` stands in so the others are still read. */
function collecting(problems: ConfigError[]) {
  return <T>(parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error);
      return fallback;
    }
  };
}

type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const JWT_SECRET_FILE = 'jwt-secret';
const MIN_JWT_SECRET_BYTES = 32;

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** Reads the variable, treating an empty string as unset (as `.env` files often leave them). */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parseNodeEnv(env: Env): Config['nodeEnv'] {
  const value = read(env, 'NODE_ENV') ?? 'development';
  if (value !== 'development' && value !== 'production' && value !== 'test') {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${value}"`);
  }
  return value;
}

function parsePort(env: Env): number {
  const raw = read(env, 'PORT') ?? '3000';
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    throw new ConfigError('PORT', `must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

/** A URL that must be https, except on loopback where local stand-ins may serve plain http. */
function parseServiceUrl(env: Env, name: string, fallback: string | undefined): string | undefined {
  const raw = read(env, name) ?? fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol === 'https:') return raw.replace(/\/+$/, '');
  if (url.protocol === 'http:' && isLoopbackUrl(url)) return raw.replace(/\/+$/, '');
  throw new ConfigError(name, `must be an https:// URL (http:// is allowed only on localhost), got "${raw}"`);
}

function parseDatabaseUrl(env: Env): string | undefined {
  const raw = read(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  try {
    new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a valid URL');
  }
  return raw;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function parseJwtTtl(env: Env): number {
  const raw = read(env, 'JWT_TTL') ?? '1h';
  const match = /^(\d+)([smhd])$/.exec(raw);
  const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : 0;
  if (seconds < 60 || seconds > 7 * 86400) {
    throw new ConfigError('JWT_TTL', `must be a duration like 15m, 1h or 1d between 1m and 7d, got "${raw}"`);
  }
  return seconds;
}

/**
 * A duration variable written `15s`, `5m`, `2h` (SPEC's form), in milliseconds, from `minSeconds`
 * to `maxSeconds` inclusive; `fallback` when unset.
 */
function parseDurationMs(
  env: Env,
  name: string,
  fallback: string,
  range: { minSeconds: number; maxSeconds: number; described: string },
): number {
  const raw = read(env, name) ?? fallback;
  const match = /^(\d{1,6})([smh])$/.exec(raw);
  const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : -1;
  if (seconds < range.minSeconds || seconds > range.maxSeconds) {
    throw new ConfigError(name, `must be a duration like 30s, 5m or 1h ${range.described}, got "${raw}"`);
  }
  return seconds * 1000;
}

const MAX_RETRY_DELAY_SECONDS = 24 * 3600;

/** WEBHOOK_RETRY_SCHEDULE: 1 to 20 comma-separated durations, each 1 s to 24 h. */
function parseRetrySchedule(env: Env): number[] {
  const raw = read(env, 'WEBHOOK_RETRY_SCHEDULE') ?? '5s,5m,30m,2h,5h,10h,10h';
  const delays = raw.split(',').map((part) => {
    const match = /^(\d{1,6})([smh])$/.exec(part.trim());
    return match ? Number(match[1]) * (DURATION_UNITS[match[2] as string] as number) : 0;
  });
  if (delays.length > 20 || delays.some((seconds) => seconds < 1 || seconds > MAX_RETRY_DELAY_SECONDS)) {
    throw new ConfigError(
      'WEBHOOK_RETRY_SCHEDULE',
      `must be 1 to 20 comma-separated durations from 1s to 24h, like 5s,5m,30m, got "${raw}"`,
    );
  }
  return delays.map((seconds) => seconds * 1000);
}

function parseBoolean(env: Env, name: string): boolean | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

const MAX_PER_MINUTE = 1_000_000;

function parsePerMinute(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_PER_MINUTE) {
    throw new ConfigError(
      name,
      `must be an integer from 1 to ${MAX_PER_MINUTE} (requests per minute), got "${raw}"`,
    );
  }
  return value;
}

/** REDIS_URL: a `redis://` or `rediss://` URL. */
function parseRedisUrl(env: Env): string | undefined {
  const raw = read(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\//.test(raw) || !URL.canParse(raw)) {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL, like redis://127.0.0.1:6379');
  }
  return raw;
}

const MIN_METRICS_TOKEN_CHARS = 16;

/** METRICS_TOKEN: at least 16 visible ASCII characters, so it fits a header and resists guessing. */
function parseMetricsToken(env: Env): string | undefined {
  const raw = read(env, 'METRICS_TOKEN');
  if (raw === undefined) return undefined;
  if (raw.length < MIN_METRICS_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError(
      'METRICS_TOKEN',
      `must be at least ${MIN_METRICS_TOKEN_CHARS} visible ASCII characters without spaces; generate one with \`openssl rand -hex 24\``,
    );
  }
  return raw;
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT: an http:// or https:// base URL (OpenTelemetry's exporter
 * specification appends `/v1/traces`). Plain http is allowed anywhere: collectors usually run
 * beside the service, on a private network.
 */
function parseOtlpEndpoint(env: Env): string | undefined {
  const raw = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (raw === undefined) return undefined;
  if (!/^https?:\/\//.test(raw) || !URL.canParse(raw)) {
    throw new ConfigError(
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      `must be an http:// or https:// URL, like http://127.0.0.1:4318, got "${raw}"`,
    );
  }
  return raw.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(env: Env): string {
  const raw = read(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(raw)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw;
}

const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_PROXY_HOPS = 100;

/** One TRUST_PROXY entry: an IP address, a CIDR whose prefix fits the address family, or a named range. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_ADDRESS_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseTrustProxy(env: Env): Config['trustProxy'] {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= MAX_PROXY_HOPS) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.every(isProxyAddress)) return Object.freeze(entries);
  throw new ConfigError(
    'TRUST_PROXY',
    `must be true, a hop count from 1 to ${MAX_PROXY_HOPS}, or comma-separated proxy addresses or CIDRs (10.0.0.0/8), got "${raw}"`,
  );
}

const MAX_MAX_CONNECTIONS = 1_000_000;

function parseMaxConnections(env: Env): number {
  const raw = read(env, 'MAX_CONNECTIONS') ?? '1024';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_MAX_CONNECTIONS) {
    throw new ConfigError(
      'MAX_CONNECTIONS',
      `must be an integer from 1 to ${MAX_MAX_CONNECTIONS}, got "${raw}"`,
    );
  }
  return value;
}

/**
 * In development the JWT key is generated once and kept beside the embedded database, so tokens
 * survive a restart. Production must be given a real secret.
 */
function resolveJwtSecret(env: Env, nodeEnv: Config['nodeEnv'], dataDir: string): Uint8Array {
  const raw = read(env, 'JWT_SECRET');
  if (raw !== undefined) {
    const bytes = new TextEncoder().encode(raw);
    if (bytes.length < MIN_JWT_SECRET_BYTES) {
      throw new ConfigError('JWT_SECRET', `must be at least ${MIN_JWT_SECRET_BYTES} bytes long`);
    }
    if (nodeEnv === 'production') checkRandomSecret(raw);
    // The key stays the text as given (not its decoding), so tokens issued before this check survive.
    return bytes;
  }
  if (nodeEnv === 'production') {
    throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
  }
  const file = join(dataDir, JWT_SECRET_FILE);
  if (existsSync(file)) return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(48).toString('base64url');
  writeFileSync(file, generated, { mode: 0o600 });
  return new TextEncoder().encode(generated);
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** 32 random bytes show about 30 distinct values and as many distinct steps between neighbours. */
const MIN_DISTINCT_BYTES = 16;
/** Hex text has only 16 symbols, so the text itself is held to a lower floor. */
const MIN_DISTINCT_TEXT_STEPS = 8;

/** The bytes `text` encodes as hex or base64 (either alphabet), or undefined when it is neither. */
function decodeSecret(text: string): Buffer | undefined {
  if (HEX.test(text)) return Buffer.from(text, 'hex');
  const unpadded = text.replace(/=+$/, '');
  if (BASE64.test(text) && unpadded.length % 4 !== 1) return Buffer.from(unpadded, 'base64url');
  return undefined;
}

/** How many different values, and different steps between neighbours, `values` has. */
function variety(values: readonly number[]): { distinct: number; steps: number } {
  const steps = new Set<number>();
  for (let i = 1; i < values.length; i++) steps.add((values[i] as number) - (values[i - 1] as number));
  return { distinct: new Set(values).size, steps: steps.size };
}

/**
 * Production's JWT_SECRET must be random: hex or base64 of at least 32 bytes, checked after
 * decoding, and not a repetition or a run ('a'×64, '0123…', 'abcd…'), which a floor on distinct
 * values and distinct steps between neighbouring bytes (and characters) catches.
 */
function checkRandomSecret(text: string): void {
  const advice = 'generate one with `openssl rand -base64 32`';
  const bytes = decodeSecret(text);
  if (bytes === undefined) {
    throw new ConfigError(
      'JWT_SECRET',
      `must be random bytes written as hex or base64 in production; ${advice}`,
    );
  }
  if (bytes.length < MIN_JWT_SECRET_BYTES) {
    throw new ConfigError(
      'JWT_SECRET',
      `must decode to at least ${MIN_JWT_SECRET_BYTES} bytes in production, got ${bytes.length}; ${advice}`,
    );
  }
  const decoded = variety([...bytes]);
  const written = variety([...text].map((character) => character.charCodeAt(0)));
  if (
    decoded.distinct < MIN_DISTINCT_BYTES ||
    decoded.steps < MIN_DISTINCT_BYTES ||
    written.steps < MIN_DISTINCT_TEXT_STEPS
  ) {
    throw new ConfigError('JWT_SECRET', `is not random (repeated or patterned) in production; ${advice}`);
  }
}

/** Reads `.env` into the environment when the file exists; variables already set win. */
export function loadDotEnv(): void {
  try {
    process.loadEnvFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** GOOGLE_*: Google's client, or none, which outside production means the dev sign-in provider. */
function readGoogle(env: Env, nodeEnv: Config['nodeEnv'], port: number): Config['google'] {
  const clientId = read(env, 'GOOGLE_CLIENT_ID');
  const clientSecret = read(env, 'GOOGLE_CLIENT_SECRET');
  if (clientId !== undefined && clientSecret === undefined) {
    throw new ConfigError('GOOGLE_CLIENT_SECRET', 'is required when GOOGLE_CLIENT_ID is set');
  }
  if (clientId === undefined && clientSecret !== undefined) {
    throw new ConfigError('GOOGLE_CLIENT_ID', 'is required when GOOGLE_CLIENT_SECRET is set');
  }
  if (clientId === undefined && nodeEnv === 'production') {
    throw new ConfigError(
      'GOOGLE_CLIENT_ID',
      'is required when NODE_ENV=production (the dev sign-in provider is refused)',
    );
  }
  const issuer = parseServiceUrl(env, 'GOOGLE_ISSUER', 'https://accounts.google.com') as string;
  const redirectUri = parseServiceUrl(
    env,
    'GOOGLE_REDIRECT_URI',
    `http://localhost:${port}/auth/google/callback`,
  ) as string;
  return Object.freeze({ clientId, clientSecret, issuer, redirectUri });
}

/**
 * The dev stand-ins (sign-in provider and Paystack simulator) come as a pair: with one real
 * provider configured the deployment is meant to be real, and a simulator beside it would credit
 * wallets with money no one paid. NODE_ENV=test alone may mix them, for tests that play one
 * provider with a local double.
 */
function checkStandInPair(env: Env, nodeEnv: Config['nodeEnv']): void {
  // Production refuses every stand-in on its own, naming each missing variable.
  if (nodeEnv === 'production') return;
  const google = read(env, 'GOOGLE_CLIENT_ID') !== undefined;
  const paystack = read(env, 'PAYSTACK_SECRET_KEY') !== undefined;
  if (google === paystack) return;
  const [set, unset] = google
    ? ['GOOGLE_CLIENT_ID', 'PAYSTACK_SECRET_KEY']
    : ['PAYSTACK_SECRET_KEY', 'GOOGLE_CLIENT_ID'];
  throw new ConfigError(
    unset,
    `is required because ${set} is set: the dev stand-ins run only as a pair, with neither set`,
  );
}

/** PAYSTACK_*: the account, or none, which outside production means the Paystack simulator. */
function readPaystack(env: Env, nodeEnv: Config['nodeEnv']): Config['paystack'] {
  const secretKey = read(env, 'PAYSTACK_SECRET_KEY');
  if (secretKey !== undefined && !/^sk_(test|live)_\w+$/.test(secretKey)) {
    throw new ConfigError('PAYSTACK_SECRET_KEY', 'must look like sk_test_… or sk_live_…');
  }
  if (secretKey === undefined && nodeEnv === 'production') {
    throw new ConfigError(
      'PAYSTACK_SECRET_KEY',
      'is required when NODE_ENV=production (the Paystack simulator is refused)',
    );
  }
  const baseUrl = parseServiceUrl(env, 'PAYSTACK_BASE_URL', 'https://api.paystack.co') as string;
  const callbackUrl = parseServiceUrl(env, 'PAYSTACK_CALLBACK_URL', undefined);
  return Object.freeze({ secretKey, baseUrl, callbackUrl });
}

/**
 * The configuration from `env` (SPEC.md's table), validated and frozen. Throws ConfigError naming
 * the variable that is wrong, or ConfigErrors naming every one when several are. Outside production, without JWT_SECRET, it creates or reads
 * the key file under DATA_DIR.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: ConfigError[] = [];
  const attempt = collecting(problems);
  // Every other rule depends on the mode, so a wrong NODE_ENV is refused on its own.
  const nodeEnv = parseNodeEnv(env);
  const port = attempt(() => parsePort(env), 3000);
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const databaseUrl = attempt(() => parseDatabaseUrl(env), undefined);
  const dataDir = resolve(read(env, 'DATA_DIR') ?? './.data');
  const jwtTtlSeconds = attempt(() => parseJwtTtl(env), 0);
  const google = attempt(() => readGoogle(env, nodeEnv, port), undefined);
  const paystack = attempt(() => readPaystack(env, nodeEnv), undefined);
  attempt(() => checkStandInPair(env, nodeEnv), undefined);
  const jwtSecret = attempt(() => resolveJwtSecret(env, nodeEnv, dataDir), new Uint8Array());

  // Defaults: a benchmark of 32 connections over 40 users stays far below the per-principal limit,
  // and test suites signing in repeatedly from 127.0.0.1 stay below the per-IP ones.
  const rateLimits = Object.freeze({
    walletPerMinute: attempt(() => parsePerMinute(env, 'RATE_LIMIT_WALLET_PER_MINUTE', 30_000), 0),
    authPerMinute: attempt(() => parsePerMinute(env, 'RATE_LIMIT_AUTH_PER_MINUTE', 300), 0),
    failedKeyPerMinute: attempt(() => parsePerMinute(env, 'RATE_LIMIT_FAILED_KEY_PER_MINUTE', 120), 0),
  });

  const trustProxy = attempt(() => parseTrustProxy(env), false);
  const logLevel = attempt(() => parseLogLevel(env), 'info');
  const maxConnections = attempt(() => parseMaxConnections(env), 1024);
  const reconcile = Object.freeze({
    intervalMs: attempt(
      () =>
        parseDurationMs(env, 'RECONCILE_INTERVAL', '5m', {
          minSeconds: 1,
          maxSeconds: 3600,
          described: 'from 1s to 1h',
        }),
      0,
    ),
    minAgeMs: attempt(
      () =>
        parseDurationMs(env, 'RECONCILE_MIN_AGE', '10m', {
          minSeconds: 0,
          maxSeconds: 86400,
          described: 'from 0s to 24h',
        }),
      0,
    ),
  });

  // Read in every mode, so a wrong value is named even where it changes nothing.
  const allowPrivateUrls = attempt(() => parseBoolean(env, 'WEBHOOK_ALLOW_PRIVATE_URLS'), undefined);
  const webhooks = Object.freeze({
    retryScheduleMs: Object.freeze(attempt(() => parseRetrySchedule(env), [])),
    timeoutMs: attempt(
      () =>
        parseDurationMs(env, 'WEBHOOK_TIMEOUT', '15s', {
          minSeconds: 1,
          maxSeconds: 60,
          described: 'from 1s to 60s',
        }),
      0,
    ),
    allowPrivateUrls: nodeEnv !== 'production' || allowPrivateUrls === true,
  });

  const redisUrl = attempt(() => parseRedisUrl(env), undefined);
  const metricsToken = attempt(() => parseMetricsToken(env), undefined);
  const otlpEndpoint = attempt(() => parseOtlpEndpoint(env), undefined);

  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new ConfigErrors(problems);
  invariant(google !== undefined && paystack !== undefined, 'a provider refusal was recorded');

  const warnings: string[] = [];
  if (nodeEnv === 'production' && isLoopbackUrl(new URL(google.redirectUri))) {
    warnings.push(
      `GOOGLE_REDIRECT_URI is ${google.redirectUri} in production: Google sends users back to their own ` +
        'machine after sign-in; set it to https://<your host>/auth/google/callback',
    );
  }

  return Object.freeze({
    nodeEnv,
    port,
    host,
    databaseUrl,
    dataDir,
    jwtSecret,
    jwtTtlSeconds,
    google,
    paystack,
    rateLimits,
    logLevel,
    trustProxy,
    warnings: Object.freeze(warnings),
    maxConnections,
    reconcile,
    webhooks,
    redisUrl,
    metricsToken,
    otlpEndpoint,
  });
}
