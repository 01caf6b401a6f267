// pgbench, the baseline: the same server, the same concurrency, PostgreSQL's own client.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

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

/**
 * Runs pgbench (`PGBENCH`, else Debian's) with `args` on the database `databaseUrl` names, killed
 * after `timeoutMs`; its output (the last 64 KiB of stdout and stderr, where the report is), or a
 * throw with that output when it fails.
 */
export async function runPgbench(args: string[], databaseUrl: string, timeoutMs: number): Promise<string> {
  const connection = pgbenchConnectionArgs(databaseUrl);
  const child = spawn(process.env.PGBENCH ?? '/usr/bin/pgbench', [...args, ...connection.args], {
    env: { PATH: process.env.PATH ?? '', ...connection.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`pgbench ${args.join(' ')} exited with ${code}:\n${output}`);
  return output;
}

/** `pgbench -i -s <scale>`: pgbench's own tables, filled, in the given (fresh) database. */
export async function pgbenchInit(
  databaseUrl: string,
  scale: number,
  timeoutMs = 10 * 60_000,
): Promise<void> {
  await runPgbench(['-i', '-q', '-s', String(scale)], databaseUrl, timeoutMs);
}

/** Transactions per second (without connection time), average latency in ms, and counts. */
export interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
}

/** One timed pgbench run (tpcb-like, or select-only with `selectOnly`), parsed from its report. */
export async function pgbenchRun(
  databaseUrl: string,
  options: { clients: number; threads: number; seconds: number; selectOnly: boolean },
): Promise<PgbenchResult> {
  const args = ['-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds)];
  if (options.selectOnly) args.push('-S');
  return parsePgbench(await runPgbench(args, databaseUrl, (options.seconds + 120) * 1000));
}

/** The figures of a pgbench report; throws when it has no tps line. */
export function parsePgbench(output: string): PgbenchResult {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
  if (tps === undefined) throw new Error(`no tps in pgbench output:\n${output}`);
  return {
    tps: Number(tps),
    latencyAvgMs: Number(/latency average = ([\d.]+) ms/.exec(output)?.[1] ?? 'NaN'),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? 'NaN'),
    failed: Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? '0'),
  };
}

export interface PgbenchBaselines {
  tpcb?: PgbenchResult;
  select?: PgbenchResult;
}

/** Initialises pgbench's tables in `databaseUrl`, then runs tpcb-like and select-only for `seconds` each. */
export async function pgbenchBaselines(
  databaseUrl: string,
  options: { scale: number; clients: number; threads: number; seconds: number },
): Promise<Required<PgbenchBaselines>> {
  const { scale, clients, threads, seconds } = options;
  console.log(`bench: pgbench -i -s ${scale}`);
  await pgbenchInit(databaseUrl, scale);
  const run = { clients, threads, seconds };
  console.log(`bench: pgbench tpcb-like -c ${clients} -j ${threads} -T ${seconds}`);
  const tpcb = await pgbenchRun(databaseUrl, { ...run, selectOnly: false });
  console.log(`bench: pgbench -S -c ${clients} -j ${threads} -T ${seconds}`);
  const select = await pgbenchRun(databaseUrl, { ...run, selectOnly: true });
  return { tpcb, select };
}
