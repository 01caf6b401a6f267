import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { generateApiKey } from '../src/auth/api-key-format.ts';
import { loggerOptions } from '../src/http/logging.ts';
import { createKeyAt, type Headers, keyAuth, sendTo } from './support/api-keys.ts';
import { createTestUser, type TestUser, testConfig } from './support/app.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { expectProblem } from './support/http.ts';
import { expectLedgerConsistent } from './support/ledger.ts';
import {
  type OwnRedis,
  redisServerForTests,
  SHARED_REDIS_URL,
  sharedRedisForTests,
  startOwnRedis,
} from './support/redis.ts';
import { waitFor } from './support/wait.ts';

// Several instances of the service (apps with their own rate-limit plugin, on one database, as
// processes behind a load balancer would be) and a real Redis: the machine's, or one the test
// starts and kills. Each group of instances counts under a namespace of its own in Redis, so no
// two tests (nor two runs) share counts.

const LIMITS = {
  RATE_LIMIT_WALLET_PER_MINUTE: '5',
  RATE_LIMIT_AUTH_PER_MINUTE: '4',
  RATE_LIMIT_FAILED_KEY_PER_MINUTE: '3',
};

interface Instance {
  url: string;
  app: FastifyInstance;
}

interface Instances {
  list: Instance[];
  /** What the instances logged, one parsed JSON object per line. */
  logLines(): Record<string, unknown>[];
  /** The lines of `logLines` whose message starts with `start`. */
  logged(start: string): Record<string, unknown>[];
  createUser(): Promise<TestUser>;
  close(): Promise<void>;
}

let userCounter = 0;

/** `count` apps on one fresh database, with `env`, sharing a new Redis namespace; all listening. */
async function startInstances(count: number, env: Record<string, string>): Promise<Instances> {
  const database: TestDatabase = await createTestDatabase();
  const config = testConfig({ ...LIMITS, ...env });
  const redisNamespace = `test-rate-limit-${randomBytes(6).toString('hex')}:`;
  let log = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  const list: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const app = await buildApp({
      config,
      database: database.handle,
      logger: loggerOptions('info', stream),
      rateLimits: { redisNamespace },
    });
    list.push({ app, url: await app.listen({ port: 0, host: '127.0.0.1' }) });
  }
  const logLines = () =>
    log
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    list,
    logLines,
    logged: (start) => logLines().filter((line) => String(line.msg).startsWith(start)),
    createUser() {
      return createTestUser(
        database.handle.db,
        config,
        `redis${++userCounter}-${process.pid}@example.com`,
        null,
      );
    },
    async close() {
      try {
        await expectLedgerConsistent(database.handle.db);
      } finally {
        for (const { app } of list) await app.close();
        await database.drop();
      }
    },
  };
}

const balance = (base: string, headers: Headers) => sendTo(base, 'GET', '/wallet/balance', headers);

async function expectRateLimited(response: Response): Promise<void> {
  await expectProblem(response, 429, 'rate_limited');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

const started: Instances[] = [];
async function instances(count: number, env: Record<string, string> = {}): Promise<Instances> {
  const set = await startInstances(count, env);
  started.push(set);
  return set;
}
/** One instance, with `env`, as `a` beside the set's own helpers. */
async function oneInstance(env: Record<string, string>): Promise<Instances & { a: Instance }> {
  const set = await instances(1, env);
  const [a] = set.list;
  if (!a) throw new Error('one instance expected');
  return { ...set, a };
}
afterEach(async () => {
  for (const set of started.splice(0)) await set.close();
});

describe.runIf(await sharedRedisForTests())('rate limits shared through Redis', () => {
  it('holds the per-user and per-key limits across two instances', async () => {
    const {
      list: [a, b],
      createUser,
    } = await instances(2, { REDIS_URL: SHARED_REDIS_URL });
    if (!a || !b) throw new Error('two instances expected');
    const user = await createUser();
    const remaining: (string | null)[] = [];
    for (const base of [a.url, b.url, a.url, b.url, a.url]) {
      const response = await balance(base, user.auth);
      expect(response.status).toBe(200);
      remaining.push(response.headers.get('x-ratelimit-remaining'));
    }
    // One count: each instance saw what the other had counted.
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    await expectRateLimited(await balance(b.url, user.auth));
    await expectRateLimited(await balance(a.url, user.auth));

    // Another user, and a key, each have an allowance of their own.
    const other = await createUser();
    expect((await balance(b.url, other.auth)).status).toBe(200);
    const { api_key: key } = await createKeyAt(a.url, other, { name: 'k' });
    for (const base of [a.url, b.url, a.url, b.url, a.url]) {
      expect((await balance(base, keyAuth(key))).status).toBe(200);
    }
    await expectRateLimited(await balance(b.url, keyAuth(key)));
  });

  it('holds the per-address sign-in and failed-key limits across instances, apart from each other', async () => {
    const {
      list: [a, b],
      createUser,
    } = await instances(2, { REDIS_URL: SHARED_REDIS_URL });
    if (!a || !b) throw new Error('two instances expected');
    for (const base of [a.url, b.url, a.url, b.url]) {
      expect((await fetch(`${base}/auth/google/callback`)).status).toBeLessThan(429);
    }
    await expectRateLimited(await fetch(`${a.url}/auth/google/callback`));

    // The address's sign-in allowance is spent; its failed-key allowance is a count of its own.
    const user = await createUser();
    const { api_key: key } = await createKeyAt(b.url, user, { name: 'k' });
    for (const base of [a.url, b.url, a.url]) {
      await expectProblem(await balance(base, keyAuth(generateApiKey('test').key)), 401, 'invalid_api_key');
    }
    await expectRateLimited(await balance(b.url, keyAuth(generateApiKey('test').key)));
    // A valid key from the same address is never refused for others' failures.
    expect((await balance(a.url, keyAuth(key))).status).toBe(200);
  });

  it('says at start that limits are shared, without the password of the URL', async () => {
    const { logLines, logged } = await instances(1, {
      REDIS_URL: 'redis://wallet:not-the-real-password@127.0.0.1:6379',
    });
    const text = JSON.stringify(logLines());
    expect(text).not.toContain('not-the-real-password');
    const start = logged('rate limits are');
    expect(start).toHaveLength(1);
    expect(start[0]?.msg).toBe(
      'rate limits are shared by every instance through Redis at redis://wallet:[Redacted]@127.0.0.1:6379',
    );
  });
});

describe('rate limits without Redis', () => {
  it('counts on each instance alone, and says so at start', async () => {
    const {
      list: [a, b],
      createUser,
      logged,
    } = await instances(2);
    if (!a || !b) throw new Error('two instances expected');
    const user = await createUser();
    for (const base of [a.url, b.url]) {
      for (let i = 0; i < 5; i++) expect((await balance(base, user.auth)).status).toBe(200);
    }
    await expectRateLimited(await balance(a.url, user.auth));
    await expectRateLimited(await balance(b.url, user.auth));
    const start = logged('rate limits are');
    // One line per instance started.
    expect(start.map((line) => line.msg)).toEqual([
      'rate limits are counted per instance (in memory): N instances allow N times each limit; set REDIS_URL to share them',
      'rate limits are counted per instance (in memory): N instances allow N times each limit; set REDIS_URL to share them',
    ]);
  });
});

describe.runIf(redisServerForTests())('with a Redis the test starts, kills and pauses', () => {
  let redis: OwnRedis | undefined;
  afterAll(async () => {
    await redis?.close();
  });

  it('lets requests through while it is away, logs the outage once, and enforces limits again when it returns', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    redis = await startOwnRedis(password);
    const own = redis;
    const { a, createUser, logLines, logged } = await oneInstance({ REDIS_URL: own.url });
    const outageLines = () => logged('Redis unreachable').length;
    const recoveryLines = () => logged('Redis reachable again').length;

    const before = await createUser();
    for (let i = 0; i < 5; i++) expect((await balance(a.url, before.auth)).status).toBe(200);
    await expectRateLimited(await balance(a.url, before.auth));

    await own.kill();
    // Past the limit, from the user already limited and from a new one, sequential and concurrent:
    // all served, uncounted.
    const during = await createUser();
    for (let i = 0; i < 8; i++) {
      const response = await balance(a.url, during.auth);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
    }
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => balance(a.url, before.auth)));
    expect(concurrent.map((response) => response.status)).toEqual(Array(10).fill(200));
    for (const base of [a.url, a.url]) {
      await expectProblem(await balance(base, keyAuth(generateApiKey('test').key)), 401, 'invalid_api_key');
    }
    expect(outageLines()).toBe(1);
    const warning = logged('Redis unreachable')[0];
    expect(warning?.level).toBe(40);

    await own.start();
    await waitFor(() => recoveryLines() === 1);
    // The new Redis starts empty: a fresh window, enforced again.
    const after = await createUser();
    for (let i = 0; i < 5; i++) expect((await balance(a.url, after.auth)).status).toBe(200);
    await expectRateLimited(await balance(a.url, after.auth));
    expect(outageLines()).toBe(1);
    expect(recoveryLines()).toBe(1);
    expect(logged('Redis reachable again')[0]?.level).toBe(30);
    expect(JSON.stringify(logLines())).not.toContain(password);
  });

  it('lets requests through when Redis hangs, each after the command timeout, and counts again when it answers', async () => {
    const own = await startOwnRedis(`pw-${randomBytes(8).toString('hex')}`);
    try {
      const { a, createUser, logged } = await oneInstance({ REDIS_URL: own.url });
      const user = await createUser();
      for (let i = 0; i < 5; i++) expect((await balance(a.url, user.auth)).status).toBe(200);
      await expectRateLimited(await balance(a.url, user.auth));

      own.pause();
      // The connection stays up and nothing answers: each count times out and the request goes on.
      const hung = await Promise.all(Array.from({ length: 4 }, () => balance(a.url, user.auth)));
      expect(hung.map((response) => response.status)).toEqual([200, 200, 200, 200]);
      const warnings = logged('Redis unreachable');
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]?.reason)).toMatch(/timed out/i);

      own.resume();
      // The counts survived the pause: the user is still over the limit, and that is noticed again.
      await waitFor(async () => (await balance(a.url, user.auth)).status === 429);
      expect(logged('Redis reachable again')).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('closes its connection when the app closes', async () => {
    const own = await startOwnRedis(`pw-${randomBytes(8).toString('hex')}`);
    const observer = new Redis(own.url, { commandTimeout: 2_000, maxRetriesPerRequest: 0 });
    try {
      const set = await startInstances(1, { REDIS_URL: own.url });
      const clientNames = async () => String(await observer.call('CLIENT', 'LIST'));
      expect(await clientNames()).toContain('name=wallet-rate-limit');
      await set.close();
      await waitFor(async () => !(await clientNames()).includes('name=wallet-rate-limit'));
    } finally {
      observer.disconnect();
      await own.close();
    }
  });

  it('starts while Redis is down, serving, and counts once it comes up', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const own = await startOwnRedis(password);
    await own.kill();
    try {
      const { a, createUser, logged } = await oneInstance({ REDIS_URL: own.url });
      expect(logged('Redis unreachable')).toHaveLength(1);
      const user = await createUser();
      for (let i = 0; i < 7; i++) expect((await balance(a.url, user.auth)).status).toBe(200);

      await own.start();
      await waitFor(() => logged('Redis reachable again').length > 0);
      const later = await createUser();
      for (let i = 0; i < 5; i++) expect((await balance(a.url, later.auth)).status).toBe(200);
      await expectRateLimited(await balance(a.url, later.auth));
    } finally {
      await own.close();
    }
  });
});
