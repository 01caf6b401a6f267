// The slow-client attack of issue 11 against the production build: many anonymous connections
// each send ~1 MB of a larger announced body and stall. It starts `dist/server.js` as `npm run
// start:prod` does (heap capped; once beforehand to create the embedded database, whose first
// initialisation would inflate the figures), samples the process's RSS before, during and after, and prints
// the figures as JSON. Loopback only, bounded in connections, bytes and time.
//
//   npm run build && node bench/slow-clients.ts [--dir .] [--connections 300]
//     [--bytes 1000000] [--hold-s 40] [--postgres postgres://postgres@127.0.0.1:5432/postgres]
//
// `--dir` is a checkout whose `dist/` is built, so an older commit can be measured alike. With
// `--postgres` the service runs on a database of its own created there (and dropped afterwards),
// so its RSS is the service's alone; without it, on the embedded database, whose memory counts too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '../harness/free-port.ts';
import { productionNodeFlags } from './service-process.ts';

const MAX_CONNECTIONS = 1_000;
const MAX_BYTES = 1_040_000;
const MAX_HOLD_S = 180;
const START_TIMEOUT_MS = 180_000;
const SAMPLE_INTERVAL_MS = 250;
/** How long the process gets after the clients close before RSS is read again. */
const SETTLE_MS = 10_000;
/** Where the stalled bodies go: a route that does not exist, a protected route and the webhook. */
const TARGETS = ['/no/such/route', '/wallet/transfer', '/wallet/paystack/webhook'];

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function option(value: string | undefined, fallback: number, max: number, name: string): number {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max)
    throw new Error(`--${name} must be 1 to ${max}`);
  return parsed;
}

/** Resident set size of `pid` in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmRSS:'));
  return Math.round(Number(line?.match(/\d+/)?.[0] ?? 0) / 1024);
}

async function waitHealthy(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the service did not answer /healthz within ${START_TIMEOUT_MS} ms`);
}

/** A fresh database on the server of `adminUrl`, for one run. */
async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wallet_slow_clients_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Announced body size: 1 MiB, the old body limit, so an unbounded server reads what is sent. */
const ANNOUNCED_BYTES = 1024 * 1024;

interface Attacker {
  path: string;
  socket: Socket;
  /** The status of the server's answer, if one arrived. */
  status?: string;
  /** When the connection closed, in ms since the attack began. */
  closedAtMs?: number;
}

/** One attacker: announces 1 MiB, sends `bytes` of it and stalls. */
function stall(port: number, path: string, bytes: number, startedAt: number): Attacker {
  const socket = connect({ host: '127.0.0.1', port });
  const attacker: Attacker = { path, socket };
  socket.on('error', () => {});
  socket.once('data', (chunk: Buffer) => {
    attacker.status = chunk.toString('latin1', 9, 12);
  });
  socket.on('close', () => {
    attacker.closedAtMs ??= performance.now() - startedAt;
  });
  socket.on('connect', () => {
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `content-length: ${ANNOUNCED_BYTES}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(bytes, 0x20));
  });
  return attacker;
}

/** Per target: connections the server closed within the hold, the latest close, the answers. */
function byTarget(attackers: Attacker[], holdMs: number) {
  return Object.fromEntries(
    TARGETS.map((path) => {
      const mine = attackers.filter((attacker) => attacker.path === path);
      const closed = mine.filter(
        (attacker) => attacker.closedAtMs !== undefined && attacker.closedAtMs <= holdMs,
      );
      const answers: Record<string, number> = {};
      for (const { status } of mine) answers[status ?? 'none'] = (answers[status ?? 'none'] ?? 0) + 1;
      const lastCloseS = Math.max(0, ...closed.map((attacker) => (attacker.closedAtMs as number) / 1_000));
      return [
        path,
        { closedByServer: closed.length, open: mine.length - closed.length, lastCloseS, answers },
      ];
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: '.' },
      connections: { type: 'string' },
      bytes: { type: 'string' },
      'hold-s': { type: 'string' },
      postgres: { type: 'string' },
    },
  });
  const dir = resolve(values.dir ?? '.');
  const connections = option(values.connections, 300, MAX_CONNECTIONS, 'connections');
  const bytes = option(values.bytes, 1_000_000, MAX_BYTES, 'bytes');
  const holdMs = option(values['hold-s'], 40, MAX_HOLD_S, 'hold-s') * 1_000;

  const dataDir = await mkdtemp(join(tmpdir(), 'wallet-slow-clients-'));
  const database = values.postgres === undefined ? undefined : await createDatabase(values.postgres);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = () =>
    spawn(process.execPath, [...productionNodeFlags(dir), join(dir, 'dist/server.js')], {
      cwd: dir,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...(database ? { DATABASE_URL: database.url } : {}),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  let service: ReturnType<typeof start> | undefined;
  try {
    const first = start();
    try {
      await waitHealthy(url);
    } finally {
      first.kill('SIGTERM');
      await new Promise((done) => first.once('exit', done));
    }
    service = start();
    const pid = service.pid as number;
    await waitHealthy(url);
    await sleep(2_000);
    const idle = rssMiB(pid);

    const started = performance.now();
    const attackers = Array.from({ length: connections }, (_, i) =>
      stall(port, TARGETS[i % TARGETS.length] as string, bytes, started),
    );
    let peak = idle;
    const samples: number[] = [];
    while (performance.now() - started < holdMs) {
      await sleep(SAMPLE_INTERVAL_MS);
      const rss = rssMiB(pid);
      samples.push(rss);
      peak = Math.max(peak, rss);
    }
    const targets = byTarget(attackers, holdMs);
    const stillAnswers = (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok;
    for (const { socket } of attackers) socket.destroy();
    await sleep(SETTLE_MS);
    const after = rssMiB(pid);

    process.stdout.write(
      `${JSON.stringify(
        {
          dir,
          connections,
          bytesEach: bytes,
          holdS: holdMs / 1_000,
          rssMiB: { idle, peak, endOfHold: samples.at(-1), afterClose: after },
          targets,
          healthzDuringAttack: stillAnswers,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (service !== undefined) {
      const running = service;
      running.kill('SIGTERM');
      await new Promise((done) => running.once('exit', done));
    }
    await rm(dataDir, { recursive: true, force: true });
    await database?.drop();
  }
}

await main();
