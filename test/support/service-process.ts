import { freePort } from '../../harness/free-port.ts';
import { type NodeServer, START_TIMEOUT_MS, startNodeServer } from '../../harness/node-server.ts';

export type ServiceProcess = NodeServer;

/** Runs `src/server.ts` as its own process, the way `npm start` does, and waits until it answers. */
export async function startServiceProcess(options: {
  env: Record<string, string>;
  port?: number;
}): Promise<ServiceProcess> {
  return startNodeServer({
    args: ['--import', 'tsx', 'src/server.ts'],
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
