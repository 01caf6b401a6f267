import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../harness/free-port.ts';
import { type NodeServer, START_TIMEOUT_MS, startNodeServer } from '../../harness/node-server.ts';

export type ServiceProcess = NodeServer;

/** Runs `src/server.ts` as its own process, the way `npm start` does, and waits until it answers. */
export async function startServiceProcess(options: {
  env: Record<string, string>;
  port?: number;
}): Promise<ServiceProcess> {
  return startNodeServer({
    args: ['src/server.ts'],
    env: { LOG_LEVEL: 'warn', ...options.env },
    port: options.port ?? (await freePort()),
    readyPath: '/healthz',
  });
}

/**
 * The timeout of a test that starts (and stops) `processes` processes one after another, in ms:
 * each may take the whole start deadline on a loaded machine, plus a minute for the rest.
 */
export function timeoutForStarts(processes: number): number {
  return processes * START_TIMEOUT_MS + 60_000;
}

/**
 * Runs `src/server.ts` as `npm start` does, for a start expected to end by itself (a refusal):
 * its exit code (null when killed at the start deadline) and what it printed.
 */
export function runServiceToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/server.ts'],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
        timeout: START_TIMEOUT_MS,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          stdout,
          stderr,
        }),
    );
  });
}
