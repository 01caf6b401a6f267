import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeSuccessBody, signedWebhookHeaders } from '../../harness/paystack-webhooks.ts';
import { generateApiKey } from '../../src/auth/api-key-format.ts';
import { queryRows } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { startTestPaystack, type TestPaystack } from '../support/paystack.ts';
import { SHARED_REDIS_URL, sharedRedisForTests } from '../support/redis.ts';
import { type ServiceProcess, startServiceProcess, timeoutForStarts } from '../support/service-process.ts';
import { type Haproxy, haproxyBinary, startHaproxy } from './haproxy.ts';
import {
  createFundedUsers,
  expectOneTransferPerKey,
  type FundedUser,
  faultServiceEnv,
  sleep,
} from './support.ts';

// Three service processes on one PostgreSQL database and one Redis, behind HAProxy, as a team
// would run them. Clients send keyed transfers and Paystack sends (and resends) signed deposit
// webhooks through the balancer; one instance is killed with SIGKILL a third of the way through.
// Clients retry what failed with the same Idempotency-Key (webhooks as Paystack does, by
// redelivering), and every effect must happen once. Then the killed instance comes back and the
// limits are shown to be counted once for all three. Everything is paced by progress (how many
// transfers are done), never by the clock, so the test does not depend on the machine's speed.

const INSTANCES = 3;
/** Clients sending transfers at once, each from a sender of its own. */
const CLIENTS = 24;
const TRANSFERS_PER_CLIENT = 40;
const TRANSFERS = CLIENTS * TRANSFERS_PER_CLIENT;
/** The instance is killed once this many transfers are answered. */
const KILL_AFTER = Math.floor(TRANSFERS / 3);
const DEPOSITS = 60;
const DEPOSIT_AMOUNT = 7_000;
/** Per user or key per minute; a load client sends at most 40 transfers and its retries. */
const WALLET_LIMIT = 120;
const OVER_LIMIT = 30;
const FAILED_KEY_LIMIT = 6;
const MAX_ATTEMPTS = 40;
const RETRY_DELAY_MS = 50;
const REQUEST_TIMEOUT_MS = 15_000;
const FUNDS = 10_000_000;

const haproxy = haproxyBinary();
const runs = (haproxy !== undefined || process.env.CI === 'true') && (await sharedRedisForTests());

/** One HTTP exchange as a client saw it. */
interface Attempt {
  /** Undefined when no answer came (refused, reset, timed out). */
  status: number | undefined;
  code: string | undefined;
  startedAt: number;
  endedAt: number;
  backend: string | null;
  replayed: boolean;
  body: Record<string, unknown> | undefined;
  /** Why no answer came: the client's error and its cause. */
  error?: string;
}

async function send(url: string, init: { method: string; headers: Record<string, string>; body?: string }) {
  const startedAt = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    return {
      status: response.status,
      code: typeof body?.code === 'string' ? body.code : undefined,
      startedAt,
      endedAt: Date.now(),
      backend: response.headers.get('x-backend'),
      replayed: response.headers.get('idempotency-hit') === 'true',
      body,
    } satisfies Attempt;
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return {
      status: undefined,
      code: undefined,
      startedAt,
      endedAt: Date.now(),
      backend: null,
      replayed: false,
      body: undefined,
      error: `${error instanceof Error ? error.message : String(error)}${cause}`,
    } satisfies Attempt;
  }
}

/** What a careful client retries: no answer, a 5xx, or its key still held by the first attempt. */
function retryable(attempt: Attempt): boolean {
  return (
    attempt.status === undefined ||
    attempt.status >= 500 ||
    (attempt.status === 409 && attempt.code === 'idempotency_request_in_progress')
  );
}

/** Sends until an answer that is not retryable, `MAX_ATTEMPTS` at most; every attempt is kept. */
async function sendUntilAnswered(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (;;) {
    const attempt = await send(url, init);
    attempts.push(attempt);
    if (!retryable(attempt) || attempts.length === MAX_ATTEMPTS) return attempts;
    await sleep(RETRY_DELAY_MS);
  }
}

interface KeyedTransfer {
  key: string;
  attempts: Attempt[];
}

/** A request from a loopback address of the test's choosing (the balancer sees it as the client). */
function sendFrom(
  localAddress: string,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; backend: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { localAddress, headers, agent: false, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        response.resume();
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            backend: response.headers['x-backend'] as string | undefined,
          }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

/** A loopback address other than 127.0.0.1, new for each run, so no two runs share its counts in Redis. */
function randomLoopbackAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** Runs every step, even after one fails, and throws the first failure. */
async function allOf(steps: (() => Promise<unknown>)[]): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step()));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

describe.runIf(runs)('three instances behind HAProxy, one killed under load', () => {
  let database: TestDatabase | undefined;
  let paystack: TestPaystack | undefined;
  let dir: string | undefined;
  let balancer: Haproxy | undefined;
  const instances: ServiceProcess[] = [];
  let env: Record<string, string> = {};

  beforeAll(async () => {
    if (haproxy === undefined) throw new Error('HAProxy is not installed: .ci/run installs it from Debian');
    database = await createTestDatabase();
    paystack = await startTestPaystack();
    dir = await mkdtemp(join(tmpdir(), 'wallet-lb-'));
    env = faultServiceEnv(database.url as string, paystack, {
      REDIS_URL: SHARED_REDIS_URL,
      // HAProxy connects from 127.0.0.1; the client's address is the one it appends.
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_WALLET_PER_MINUTE: String(WALLET_LIMIT),
      RATE_LIMIT_FAILED_KEY_PER_MINUTE: String(FAILED_KEY_LIMIT),
    });
    const started = await Promise.allSettled(
      Array.from({ length: INSTANCES }, () => startServiceProcess({ env })),
    );
    for (const result of started) if (result.status === 'fulfilled') instances.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    balancer = await startHaproxy(
      haproxy,
      dir,
      instances.map((instance) => instance.port),
    );
  }, timeoutForStarts(1));

  afterAll(async () => {
    await allOf([
      async () => balancer?.stop(),
      ...instances.map((instance) => () => instance.stop()),
      async () => paystack?.close(),
    ]);
    await allOf([async () => database?.drop(), async () => dir && rm(dir, { recursive: true, force: true })]);
  }, timeoutForStarts(1));

  it('gives every retrying client exactly one effect, conserves money and counts limits once for all', async () => {
    if (!database || !paystack || !balancer) throw new Error('set-up did not finish');
    const lb = balancer;
    const secretKey = paystack.secretKey;
    const db = database.handle.db;
    const users = await createFundedUsers(db, CLIENTS + 1, FUNDS);
    const senders = users.slice(0, CLIENTS);
    const limited = users[CLIENTS] as FundedUser;

    // Pending deposits, started through the balancer; their webhooks arrive during the load.
    const deposits: string[] = [];
    for (let i = 0; i < DEPOSITS; i++) {
      const user = senders[i % CLIENTS] as FundedUser;
      const [answer] = await sendUntilAnswered(`${lb.url}/wallet/deposit`, {
        method: 'POST',
        headers: { authorization: user.authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: DEPOSIT_AMOUNT }),
      });
      expect(answer?.status).toBe(201);
      deposits.push(answer?.body?.reference as string);
    }

    const victim = instances[1] as ServiceProcess;
    let answered = 0;
    let killedAt = 0;
    let kill: Promise<void> | undefined;
    const progress = () => {
      answered++;
      if (answered === KILL_AFTER) {
        killedAt = Date.now();
        kill = victim.crash();
      }
    };

    const transfers: KeyedTransfer[] = [];
    const loadStartedAt = Date.now();
    const run = `lb-${randomBytes(4).toString('hex')}`;
    const clients = senders.map(async (sender, client) => {
      for (let i = 0; i < TRANSFERS_PER_CLIENT; i++) {
        let to = randomInt(0, CLIENTS - 1);
        if (to >= client) to++;
        const key = `${run}-${client}-${i}`;
        const attempts = await sendUntilAnswered(`${lb.url}/wallet/transfer`, {
          method: 'POST',
          headers: {
            authorization: sender.authorization,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({
            wallet_number: (senders[to] as FundedUser).walletNumber,
            amount: randomInt(1, 501),
          }),
        });
        transfers.push({ key, attempts });
        progress();
      }
    });

    // Each event twice, as Paystack redelivers, spread over the load: event n goes out once n/events
    // of the transfers are answered. A delivery that fails is sent again, as Paystack does.
    const events = [...deposits, ...deposits].sort(() => Math.random() - 0.5);
    const deliveries: Attempt[][] = [];
    let nextEvent = 0;
    const webhookSenders = Array.from({ length: 4 }, async () => {
      for (let n = nextEvent++; n < events.length; n = nextEvent++) {
        while (answered < (n * TRANSFERS) / events.length && answered < TRANSFERS) await sleep(5);
        const body = chargeSuccessBody(events[n] as string, DEPOSIT_AMOUNT);
        deliveries.push(
          await sendUntilAnswered(`${lb.url}/wallet/paystack/webhook`, {
            method: 'POST',
            headers: signedWebhookHeaders(body, secretKey),
            body,
          }),
        );
      }
    });
    await Promise.all([...clients, ...webhookSenders]);
    await kill;
    const loadEndedAt = Date.now();

    // The killed instance comes back on its port; HAProxy's check puts it back in the pool.
    const restartStartedAt = Date.now();
    instances[1] = await startServiceProcess({ env, port: victim.port });
    const restartedAt = Date.now();
    const upLine = () =>
      lb.events.find((event) => event.at >= restartStartedAt && /\bs2\b.* is UP/.test(event.line));
    const deadline = Date.now() + 60_000;
    while (!upLine() && Date.now() < deadline) await sleep(20);

    // ——— What the clients saw ———
    const allAttempts = [...transfers.flatMap((t) => t.attempts), ...deliveries.flat()];
    const failures = allAttempts.filter(retryable);
    const finalTransfers = transfers.map((t) => t.attempts.at(-1) as Attempt);
    expect(finalTransfers.filter((a) => a.status !== 200).map((a) => [a.status, a.code])).toEqual([]);
    expect(deliveries.map((d) => d.at(-1)?.status).filter((status) => status !== 200)).toEqual([]);
    // The kill cut requests in flight on the victim: their clients saw it, and retried.
    expect(failures.length).toBeGreaterThan(0);
    expect(instances[0]?.alive() && instances[2]?.alive() && lb.alive()).toBe(true);

    // ——— Exactly once: one ledger transaction per key, one credit per deposit ———
    const references = finalTransfers.map((a) => a.body?.reference as string);
    expect(new Set(references).size).toBe(TRANSFERS);
    await expectOneTransferPerKey(db, references);
    const credits = await queryRows<{ reference: string; status: string; credits: number }>(
      db,
      sql`select d.reference, d.status, count(t.id)::int as credits
            from deposits d left join ledger_transactions t on t.reference = d.reference
           group by d.reference, d.status`,
    );
    const ours = credits.filter((row) => deposits.includes(row.reference));
    expect(ours).toHaveLength(DEPOSITS);
    expect(ours.filter((row) => row.status !== 'success' || row.credits !== 1)).toEqual([]);

    // ——— Money conserved: the wallets hold what deposits brought in, no more, no less ———
    const [money] = await queryRows<{ wallets: string; deposited: string }>(
      db,
      sql`select (select coalesce(sum(balance), 0)::text from accounts where kind = 'wallet') as wallets,
                 (select coalesce(sum(amount), 0)::text from deposits where status = 'success') as deposited`,
    );
    expect(money?.wallets).toBe(money?.deposited);
    expect(BigInt(money?.deposited ?? 0)).toBe(BigInt((CLIENTS + 1) * FUNDS + DEPOSITS * DEPOSIT_AMOUNT));
    await expectLedgerConsistent(db);

    // ——— Limits counted once for all three instances (Redis) ———
    const reads: Attempt[] = [];
    let nextRead = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (nextRead++ < WALLET_LIMIT + OVER_LIMIT) {
          reads.push(
            await send(`${lb.url}/wallet/balance`, {
              method: 'GET',
              headers: { authorization: limited.authorization },
            }),
          );
        }
      }),
    );
    const allowed = reads.filter((read) => read.status === 200);
    expect(reads.filter((read) => read.status !== 200 && read.status !== 429)).toEqual([]);
    expect(allowed).toHaveLength(WALLET_LIMIT);
    expect(reads.filter((read) => read.status === 429)).toHaveLength(OVER_LIMIT);
    const servedBy = new Set(allowed.map((read) => read.backend));
    expect([...servedBy].sort()).toEqual(['s1', 's2', 's3']);

    // Failed API keys per client address, as the service sees it behind HAProxy (TRUST_PROXY): a
    // forged X-Forwarded-For changes nothing; another address has its own allowance.
    const noisy = randomLoopbackAddress();
    let other = randomLoopbackAddress();
    while (other === noisy) other = randomLoopbackAddress();
    const badKey = () => ({
      'x-api-key': generateApiKey('test').key,
      'x-forwarded-for': `10.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`,
    });
    const failedKeys = [];
    for (let i = 0; i < FAILED_KEY_LIMIT + 2; i++)
      failedKeys.push(await sendFrom(noisy, `${lb.url}/wallet/balance`, badKey()));
    expect(failedKeys.map((answer) => answer.status)).toEqual([
      ...Array(FAILED_KEY_LIMIT).fill(401),
      429,
      429,
    ]);
    expect(new Set(failedKeys.map((answer) => answer.backend)).size).toBe(INSTANCES);
    expect((await sendFrom(other, `${lb.url}/wallet/balance`, badKey())).status).toBe(401);

    // ——— The figures ———
    const stats = await lb.stats();
    const counter = (row: string, name: string) => Number(stats.get(row)?.[name] ?? Number.NaN);
    const markedDown = lb.events.find((event) => event.at >= killedAt && /\bs2\b.* is DOWN/.test(event.line));
    const lastFailure = Math.max(...failures.map((attempt) => attempt.endedAt));
    const byStatus = new Map<string, number>();
    for (const failure of failures) {
      const label = failure.status === undefined ? `no answer (${failure.error})` : String(failure.status);
      byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
    }
    const retried = transfers.filter((t) => t.attempts.length > 1);
    const replayed = retried.filter((t) => t.attempts.at(-1)?.replayed).length;
    const retriedDeliveries = deliveries.filter((d) => d.length > 1).length;
    const served = new Map<string, number>();
    for (const attempt of allAttempts) {
      if (attempt.backend) served.set(attempt.backend, (served.get(attempt.backend) ?? 0) + 1);
    }
    console.info(
      [
        `load balancer: ${TRANSFERS} keyed transfers and ${events.length} webhook deliveries (${DEPOSITS} deposits, each twice) ` +
          `through HAProxy to ${INSTANCES} instances; s2 killed with SIGKILL after ${KILL_AFTER} transfers`,
        `  requests sent: ${allAttempts.length} (${[...served].map(([name, count]) => `${name} ${count}`).join(', ')}); ` +
          `load took ${loadEndedAt - loadStartedAt} ms`,
        `  errors seen by clients: ${failures.length} (${[...byStatus].map(([label, count]) => `${label}: ${count}`).join(', ')}), ` +
          `the last ${lastFailure - killedAt} ms after the kill`,
        `  retried: ${retried.length} transfers (${replayed} answered by replay of the committed first attempt, ` +
          `${retried.length - replayed} ran on retry), ${retriedDeliveries} webhook deliveries; ` +
          `most attempts for one request: ${Math.max(...transfers.map((t) => t.attempts.length), ...deliveries.map((d) => d.length))}`,
        `  HAProxy: ${counter('instances/BACKEND', 'wredis')} requests it could not connect to s2 sent to another server; ` +
          `marked s2 DOWN ${markedDown ? `${markedDown.at - killedAt} ms` : '(no line seen)'} after the kill; ` +
          `restart took ${restartedAt - restartStartedAt} ms, back UP ${(upLine()?.at ?? Number.NaN) - restartStartedAt} ms after the restart began`,
        `  exactly once: ${TRANSFERS} ledger transfers for ${TRANSFERS} keys, ${DEPOSITS} credits for ${DEPOSITS} deposits; ` +
          `wallets hold ${money?.wallets} kobo = deposits credited`,
        `  rate limit ${WALLET_LIMIT}/min per user across ${INSTANCES} instances: ${allowed.length} of ${reads.length} allowed ` +
          `(served by ${[...servedBy].sort().join(', ')}); failed keys: ${FAILED_KEY_LIMIT} × 401 then 429 from one address, 401 from another`,
      ].join('\n'),
    );
    expect(upLine()).toBeDefined();
  });
});
