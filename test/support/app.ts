import type { FastifyInstance } from 'fastify';
import { type AppDeps, buildApp } from '../../src/app.ts';
import { issueAccessToken } from '../../src/auth/jwt.ts';
import { signInUser } from '../../src/auth/users.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { expectLedgerConsistent } from './ledger.ts';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export interface TestUser {
  id: string;
  email: string;
  token: string;
  walletNumber: string;
  /** Headers for a request as this user through their JWT. */
  auth: { authorization: string };
}

export interface TestApp {
  url: string;
  app: FastifyInstance;
  db: Database;
  database: TestDatabase;
  config: Config;
  /** Creates (or finds) a user with a wallet without going through Google, and a JWT for them. */
  createUser(email?: string): Promise<TestUser>;
  /** Checks the ledger's invariants, then stops the app and drops its database. */
  close(): Promise<void>;
}

let userCounter = 0;

/**
 * The other provider's half for a test that configures only one (SPEC: the stand-ins come only as
 * a pair, in tests too): a Google client whose issuer is never reached, or a Paystack account on a
 * closed port. Tests that use the other provider configure it themselves.
 */
export function pairedProviders(env: Record<string, string>): Record<string, string> {
  const google = env.GOOGLE_CLIENT_ID !== undefined;
  const paystack = env.PAYSTACK_SECRET_KEY !== undefined;
  if (google === paystack) return env;
  return google
    ? { PAYSTACK_SECRET_KEY: `sk_test_${'u'.repeat(40)}`, PAYSTACK_BASE_URL: 'http://127.0.0.1:9', ...env }
    : {
        GOOGLE_CLIENT_ID: 'unused.apps.googleusercontent.com',
        GOOGLE_CLIENT_SECRET: 'unused',
        GOOGLE_ISSUER: 'http://127.0.0.1:9',
        ...env,
      };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig(
    pairedProviders({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: '/tmp/wallet-test-data',
      ...env,
    }),
  );
}

/**
 * Creates (or finds) the user `email` with a wallet, as a first sign-in does but without Google,
 * and a JWT for them signed with `config`'s key.
 */
export async function createTestUser(
  db: Database,
  config: Config,
  email: string,
  name: string | null,
): Promise<TestUser> {
  const user = await signInUser(db, { subject: `sub-${email}`, email, name });
  const { token } = await issueAccessToken(user.id, config.jwtSecret, config.jwtTtlSeconds);
  return {
    id: user.id,
    email,
    token,
    walletNumber: user.walletNumber,
    auth: { authorization: `Bearer ${token}` },
  };
}

/**
 * A real app on a real database, listening on loopback: on an ephemeral port, or on `port` when the
 * configuration must know it beforehand (the sign-in redirect URI).
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    port?: number;
    deps?: Pick<AppDeps, 'paystack' | 'logger' | 'webhooks'>;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig(options.env);
  const app = await buildApp({ ...options.deps, config, database: database.handle });
  const url = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const db = database.handle.db;
  return {
    url,
    app,
    db,
    database,
    config,
    createUser(email = `user${++userCounter}-${process.pid}@example.com`) {
      return createTestUser(db, config, email, email.split('@')[0] ?? null);
    },
    async close() {
      try {
        await expectLedgerConsistent(db);
      } finally {
        await app.close();
        await database.drop();
      }
    },
  };
}
