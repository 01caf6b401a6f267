import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../harness/free-port.ts';
import { waitFor } from '../support/wait.ts';

/** Debian's HAProxy (`.ci/run` installs it when missing): its path, or undefined when there is none. */
export function haproxyBinary(): string | undefined {
  if (existsSync('/usr/sbin/haproxy')) return '/usr/sbin/haproxy';
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0 ? 'haproxy' : undefined;
}

/** A line HAProxy wrote (server state changes among them), with when the test read it. */
export interface HaproxyEvent {
  at: number;
  line: string;
}

export interface Haproxy {
  url: string;
  port: number;
  /** Every line HAProxy wrote to stdout and stderr, in order. */
  events: HaproxyEvent[];
  /** The configuration it runs, for the test output. */
  config: string;
  alive(): boolean;
  /**
   * HAProxy's counters (`show stat` on its stats socket), by `proxy/server`: e.g. `wretr` (retries
   * on connection failure), `wredis` (requests sent to another server instead), `status`.
   */
  stats(): Promise<Map<string, Record<string, string>>>;
  stop(): Promise<void>;
}

/**
 * HAProxy's configuration for service instances on 127.0.0.1 at `serverPorts`, as a careful
 * operator of a payment API would write it:
 * - round robin, each request balanced on its own; a response says which server answered
 *   (`x-backend`), so a test can see the spread;
 * - an HTTP health check of `/readyz` (the database answers) every 500 ms: two failures take a
 *   server out, two successes put it back;
 * - retries only on connection failure (`retry-on conn-failure`, HAProxy's default made explicit),
 *   on another server (`option redispatch`): a request that could not be sent. No layer-7 retries
 *   (`empty-response`, `response-timeout`, `5xx`): they would send again a POST the dead server may
 *   already have committed. The client retries, with its `Idempotency-Key`, and the service
 *   answers the second attempt from the first;
 * - `X-Forwarded-For` with the client's address (`option forwardfor`), for `TRUST_PROXY`.
 */
export function haproxyConfig(port: number, serverPorts: number[], statsSocket: string): string {
  const servers = serverPorts.map((serverPort, i) => `  server s${i + 1} 127.0.0.1:${serverPort} check`);
  return [
    'global',
    '  maxconn 4096',
    `  stats socket ${statsSocket} mode 600 level user`,
    '',
    'defaults',
    '  mode http',
    '  option forwardfor',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 15s',
    '  timeout http-request 10s',
    '  timeout check 1s',
    '  retries 3',
    '  retry-on conn-failure',
    '  option redispatch 1',
    '',
    'frontend wallet',
    `  bind 127.0.0.1:${port}`,
    '  default_backend instances',
    '',
    'backend instances',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  default-server inter 500ms fall 2 rise 2',
    '  http-response set-header x-backend %[srv_name]',
    ...servers,
    '',
  ].join('\n');
}

/**
 * Runs HAProxy in the foreground (`-db`) on a free loopback port in front of `serverPorts`, its
 * configuration written to `dir`; resolves once it answers through every server.
 */
export async function startHaproxy(binary: string, dir: string, serverPorts: number[]): Promise<Haproxy> {
  const port = await freePort();
  const socket = join(dir, 'haproxy.sock');
  const config = haproxyConfig(port, serverPorts, socket);
  const file = join(dir, 'haproxy.cfg');
  await writeFile(file, config);
  const check = spawnSync(binary, ['-c', '-q', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`HAProxy refused its configuration:\n${check.stderr}\n${config}`);

  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  const events: HaproxyEvent[] = [];
  const record = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') events.push({ at: Date.now(), line });
    }
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;
  const seen = new Set<string>();
  try {
    await waitFor(async () => {
      if (!alive()) throw new Error(`HAProxy exited:\n${events.map((event) => event.line).join('\n')}`);
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(
        () => undefined,
      );
      const backend = response?.headers.get('x-backend');
      if (response?.status === 200 && backend) seen.add(backend);
      return seen.size === serverPorts.length;
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    url,
    port,
    events,
    config,
    alive,
    stats: () => readStats(socket),
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

const STATS_TIMEOUT_MS = 5_000;

async function readStats(socketPath: string): Promise<Map<string, Record<string, string>>> {
  const socket = connect(socketPath);
  socket.setTimeout(STATS_TIMEOUT_MS, () =>
    socket.destroy(new Error('no answer from the HAProxy stats socket')),
  );
  socket.end('show stat\n');
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  const [header, ...rows] = text.split('\n').filter((line) => line.trim() !== '');
  const names = (header ?? '').replace(/^# /, '').split(',');
  const stats = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const values = row.split(',');
    const record = Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
    stats.set(`${record.pxname}/${record.svname}`, record);
  }
  return stats;
}
