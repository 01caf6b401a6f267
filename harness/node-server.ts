// A server run as a child process (the service, or the bench's floor server) with this process's
// own node binary, so it runs the Node.js the tests or the bench run on, polled until it answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

const DEFAULT_START_TIMEOUT_MS = 300_000;

function startTimeoutFromEnv(): number {
  const raw = process.env.TEST_START_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_START_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`TEST_START_TIMEOUT_MS must be a positive integer (milliseconds), got "${raw}"`);
  }
  return value;
}

/**
 * How long a child process may take to start answering (or to exit once told to), in ms:
 * `TEST_START_TIMEOUT_MS`, five minutes by default. Generous, because on a loaded machine a start
 * that takes 5 s alone (loading the service, PGlite's first initdb) has taken more than 2 minutes.
 */
export const START_TIMEOUT_MS = startTimeoutFromEnv();

/** How often a starting process is asked whether it is ready, and how long one answer may take. */
const READY_POLL_MS = 100;
const READY_REQUEST_TIMEOUT_MS = 2_000;

export interface NodeServer {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr, for assertions and for explaining a failure. */
  output(): string;
  /** Whether it is still running. */
  alive(): boolean;
  /** SIGKILL: the process gets no chance to finish anything. */
  crash(): Promise<void>;
  /** SIGTERM, then SIGKILL if it is still running after START_TIMEOUT_MS; the exit code (null if killed). */
  stop(): Promise<number | null>;
}

/**
 * Runs `node <args>` with `env` (plus PATH, and PORT and HOST for 127.0.0.1:`port`) and resolves
 * once `GET <readyPath>` answers 2xx. Throws with the process's output when it exits first or does
 * not answer within START_TIMEOUT_MS (then it is killed).
 */
export async function startNodeServer(options: {
  /** Node flags and the script, with its arguments. */
  args: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  /** Keeps only the last this many characters of output, so a chatty process cannot grow this one. */
  outputLimit?: number;
}): Promise<NodeServer> {
  const child = spawn(process.execPath, options.args, {
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.outputLimit !== undefined) output = output.slice(-options.outputLimit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilReady(`${url}${options.readyPath}`, alive, () => output, child);
  if (child.pid === undefined) throw new Error('the process has no pid');
  return {
    url,
    port: options.port,
    pid: child.pid,
    child,
    output: () => output,
    alive,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!alive()) return child.exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
      await exited;
      clearTimeout(killer);
      return child.exitCode;
    },
  };
}

async function waitUntilReady(
  readyUrl: string,
  alive: () => boolean,
  output: () => string,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (!alive())
      throw new Error(`the process exited with ${child.exitCode ?? child.signalCode}:\n${output()}`);
    const ready = await fetch(readyUrl, { signal: AbortSignal.timeout(READY_REQUEST_TIMEOUT_MS) }).then(
      (response) => {
        void response.body?.cancel();
        return response.ok;
      },
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `no answer from ${readyUrl} within ${START_TIMEOUT_MS} ms (TEST_START_TIMEOUT_MS):\n${output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}
