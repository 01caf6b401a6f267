import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
    /** Per client IP address: API key attempts answered `401`; beyond it, API keys from there get `429`. */
    readonly failedKeyPerMinute: number;
  };
  /** MAX_CONNECTIONS: open connections accepted at once; more are closed as they arrive. */
  readonly maxConnections: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
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
 * the first variable that is wrong. Outside production, without JWT_SECRET, it creates or reads
 * the key file under DATA_DIR.
 */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = parseNodeEnv(env);
  const port = parsePort(env);
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const databaseUrl = parseDatabaseUrl(env);
  const dataDir = resolve(read(env, 'DATA_DIR') ?? './.data');
  const jwtTtlSeconds = parseJwtTtl(env);
  const google = readGoogle(env, nodeEnv, port);
  const paystack = readPaystack(env, nodeEnv);
  const jwtSecret = resolveJwtSecret(env, nodeEnv, dataDir);

  // Defaults: a benchmark of 32 connections over 40 users stays far below the per-principal limit,
  // and test suites signing in repeatedly from 127.0.0.1 stay below the per-IP ones.
  const rateLimits = Object.freeze({
    walletPerMinute: parsePerMinute(env, 'RATE_LIMIT_WALLET_PER_MINUTE', 30_000),
    authPerMinute: parsePerMinute(env, 'RATE_LIMIT_AUTH_PER_MINUTE', 300),
    failedKeyPerMinute: parsePerMinute(env, 'RATE_LIMIT_FAILED_KEY_PER_MINUTE', 120),
  });

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
    maxConnections: parseMaxConnections(env),
  });
}
