import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../harness/free-port.ts';
import { waitFor } from './wait.ts';

/** The machine's Redis (`.ci/run` starts it when it is down). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

const PING_TIMEOUT_MS = 2_000;

/** Whether a Redis answers PING at `url` within two seconds. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PING_TIMEOUT_MS,
    commandTimeout: PING_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Whether the tests that need the machine's Redis run: when it answers, and always in CI (where
 * `.ci/run` has started it), so that a Redis missing there fails them instead of skipping them.
 */
export async function sharedRedisForTests(): Promise<boolean> {
  return process.env.CI === 'true' || (await redisAnswers(SHARED_REDIS_URL));
}

/** Whether `redis-server` can be started by a test: always in CI, elsewhere when it is installed. */
export function redisServerForTests(): boolean {
  return (
    process.env.CI === 'true' || spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

/** A Redis of the test's own, on a free loopback port: it can be killed and started again. */
export interface OwnRedis {
  /** `redis://` URL with the password. */
  url: string;
  port: number;
  /** SIGKILL: every connection drops at once, the counts are lost. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty), once it answers. */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as a hung server. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

/**
 * Runs `redis-server` on a free loopback port with a password, nothing saved to disk, its files in
 * a temporary directory; resolves once it answers PING.
 */
export async function startOwnRedis(password: string): Promise<OwnRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'wallet-redis-'));
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--requirepass',
        password,
      ],
      { stdio: 'ignore' },
    );
    child = started;
    started.on('error', () => {});
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
      return redisAnswers(url);
    });
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    port,
    kill,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async close() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
