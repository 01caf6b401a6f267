// Pieces of the benchmark that are not the load itself: the service as a child process, the
// stand-ins, sign-in over HTTP, signed webhooks, databases, RSS sampling and pgbench.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { freePort } from '../harness/free-port.ts';
import { providerForm, stateCookieOf } from '../harness/provider-page.ts';
import { type OidcClient, oidcProvider } from '../src/dev/oidc-provider.ts';
import { paystackSimulator } from '../src/dev/paystack/simulator.ts';

/** No single setup request of the benchmark should take longer; one that does means trouble. */
const REQUEST_TIMEOUT_MS = 15_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Stand-ins for Google and Paystack, each on a server of its own, as the real ones stand apart.

export interface StandIns {
  issuer: string;
  client: OidcClient;
  paystackUrl: string;
  close(): Promise<void>;
}

export async function startStandIns(options: {
  redirectUri: string;
  paystackSecretKey: string;
  webhookUrl: string;
  clientSecret: string;
}): Promise<StandIns> {
  const providerPort = await freePort();
  const issuer = `http://127.0.0.1:${providerPort}`;
  const client: OidcClient = {
    clientId: 'wallet-bench',
    clientSecret: options.clientSecret,
    redirectUris: [options.redirectUri],
  };
  const provider: FastifyInstance = Fastify();
  await provider.register(oidcProvider, { issuer, clients: [client] });
  await provider.listen({ port: providerPort, host: '127.0.0.1' });

  const paystack: FastifyInstance = Fastify();
  await paystack.register(paystackSimulator, {
    secretKey: options.paystackSecretKey,
    // The bench signs and sends its own webhooks; the simulator's Pay button is never pressed.
    webhookUrl: options.webhookUrl,
  });
  const paystackUrl = await paystack.listen({ port: 0, host: '127.0.0.1' });
  return {
    issuer,
    client,
    paystackUrl,
    async close() {
      await provider.close();
      await paystack.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The service under test.

export interface ServiceProcess {
  url: string;
  pid: number;
  output(): string;
  /** Whether it is still running: a phase whose service died is a failure, not a figure. */
  alive(): boolean;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * The node flags of `npm run start:prod` (its heap limits), read from package.json so the bench
 * measures the process production runs; the bench starts node itself to sample that pid's memory.
 */
export function productionNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const words = (manifest.scripts['start:prod'] ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/server.js') {
    throw new Error(`start:prod is not "node [flags] dist/server.js": ${manifest.scripts['start:prod']}`);
  }
  return words.slice(1, -1);
}

/**
 * `node dist/server.js` as production runs it (or, with `script`, another server started with the
 * same flags), answering `/readyz` on 127.0.0.1:`port` once ready.
 */
export async function startService(options: {
  port: number;
  env: Record<string, string>;
  /** After start:prod's own flags, so these win where they overlap. */
  extraNodeFlags: string[];
  script?: string[];
}): Promise<ServiceProcess> {
  const nodeFlags = [...productionNodeFlags(), ...options.extraNodeFlags];
  const script = options.script ?? ['dist/server.js'];
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, ...script], {
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Kept bounded: a chatty failure must not grow the bench's own memory without end.
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    await sleep(100);
  }
  if (child.pid === undefined) throw new Error('service has no pid');
  const pid = child.pid;
  return {
    url,
    pid,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGTERM first: a graceful exit is also what makes --cpu-prof write its profile.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples the process's resident set from /proc while load runs; `peak()` is the largest seen. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakKib = 0;

  constructor(private readonly pid: number) {}

  private read(field: 'VmRSS' | 'VmHWM'): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  start(intervalMs = 100): void {
    this.peakKib = Math.max(this.peakKib, this.read('VmRSS'));
    this.timer = setInterval(() => {
      this.peakKib = Math.max(this.peakKib, this.read('VmRSS'));
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** MiB: the largest sample taken between start() and stop(). */
  peakMib(): number {
    return this.peakKib / 1024;
  }

  /** MiB: the kernel's high-water mark over the process's whole life, which no sampling can miss. */
  highWaterMib(): number {
    return this.read('VmHWM') / 1024;
  }
}

/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICKS_PER_SECOND = 100;

interface CpuReading {
  at: number;
  serviceS: number;
  benchS: number;
  machineBusyS: number;
}

function readCpu(pid: number): CpuReading {
  let serviceS = 0;
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    serviceS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    serviceS = 0;
  }
  const usage = process.cpuUsage();
  let machineBusyS = 0;
  try {
    const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const total = cpu.slice(0, 8).reduce((sum, value) => sum + value, 0);
    machineBusyS = (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / TICKS_PER_SECOND;
  } catch {
    machineBusyS = 0;
  }
  return { at: performance.now(), serviceS, benchS: (usage.user + usage.system) / 1e6, machineBusyS };
}

/** Cores used on average over a phase: by the service, by this process (the load generator), in all. */
export interface CpuShare {
  service: number;
  bench: number;
  machine: number;
}

export function cpuMeter(pid: number): () => CpuShare {
  const before = readCpu(pid);
  return () => {
    const after = readCpu(pid);
    const seconds = (after.at - before.at) / 1000;
    return {
      service: (after.serviceS - before.serviceS) / seconds,
      bench: (after.benchS - before.benchS) / seconds,
      machine: (after.machineBusyS - before.machineBusyS) / seconds,
    };
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP as a client of the service.

export async function requestJson<T>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown },
  expectedStatus: number,
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(
      `${init.method ?? 'GET'} ${url}: ${response.status} (expected ${expectedStatus}): ${text}`,
    );
  }
  return JSON.parse(text) as T;
}

function locationOf(response: Response, step: string): string {
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) {
    throw new Error(`${step}: expected a 302 redirect, got ${response.status}`);
  }
  return location;
}

export interface SignedInUser {
  email: string;
  accessToken: string;
  walletNumber: string;
}

/** The whole Google-style sign-in over HTTP, as a browser does it: service → provider page → callback. */
export async function signInThroughProvider(appUrl: string, email: string): Promise<SignedInUser> {
  const timeout = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let start = await fetch(`${appUrl}/auth/google`, { redirect: 'manual', signal: timeout() });
  let location = locationOf(start, 'GET /auth/google');
  // The service first moves the browser to its redirect URI's host when the two differ.
  if (new URL(location).pathname === '/auth/google') {
    start = await fetch(location, { redirect: 'manual', signal: timeout() });
    location = locationOf(start, 'GET /auth/google (second hop)');
  }
  const cookie = stateCookieOf(start);
  if (cookie === undefined) throw new Error('GET /auth/google set no state cookie');

  const authorizeUrl = new URL(location);
  const page = await fetch(authorizeUrl, { signal: timeout() });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`provider page: ${page.status}`);
  const form = providerForm(html, { email, email_verified: 'true', action: 'sign_in' });
  const answered = await fetch(authorizeUrl, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    signal: timeout(),
  });
  const callbackUrl = locationOf(answered, 'provider sign-in');

  const callback = await fetch(callbackUrl, { headers: { cookie }, redirect: 'manual', signal: timeout() });
  const text = await callback.text();
  if (callback.status !== 200) throw new Error(`sign-in callback: ${callback.status}: ${text}`);
  const body = JSON.parse(text) as { access_token: string; wallet: { wallet_number: string } };
  return { email, accessToken: body.access_token, walletNumber: body.wallet.wallet_number };
}

// ---------------------------------------------------------------------------------------------
// Databases.

export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs statements on the server's maintenance database (the one BENCH_DATABASE_URL names). */
export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function scalar(databaseUrl: string, statement: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const result = await client.query<{ value: string }>(statement);
    return String(result.rows[0]?.value ?? '');
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// pgbench, the baseline: the same server, the same concurrency.

function pgbenchConnectionArgs(databaseUrl: string): { args: string[]; env: Record<string, string> } {
  const url = new URL(databaseUrl);
  const env: Record<string, string> = {};
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  return {
    args: [
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username || 'postgres'),
      decodeURIComponent(url.pathname.slice(1)),
    ],
    env,
  };
}

async function runPgbenchProcess(args: string[], databaseUrl: string, timeoutMs: number): Promise<string> {
  const connection = pgbenchConnectionArgs(databaseUrl);
  const child = spawn(process.env.PGBENCH ?? '/usr/bin/pgbench', [...args, ...connection.args], {
    env: { PATH: process.env.PATH ?? '', ...connection.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`pgbench ${args.join(' ')} exited with ${code}:\n${output}`);
  return output;
}

export async function pgbenchInit(databaseUrl: string, scale: number): Promise<void> {
  await runPgbenchProcess(['-i', '-q', '-s', String(scale)], databaseUrl, 10 * 60_000);
}

export interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
}

export async function pgbenchRun(
  databaseUrl: string,
  options: { clients: number; threads: number; seconds: number; selectOnly: boolean },
): Promise<PgbenchResult> {
  const args = ['-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds)];
  if (options.selectOnly) args.push('-S');
  const output = await runPgbenchProcess(args, databaseUrl, (options.seconds + 120) * 1000);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
  if (tps === undefined) throw new Error(`no tps in pgbench output:\n${output}`);
  return {
    tps: Number(tps),
    latencyAvgMs: Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? 'NaN'),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? 'NaN'),
    failed: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? '0'),
  };
}
