// The service under test as production runs it, and the floor server beside it, each a child
// process of the bench so that its memory and CPU can be read by pid.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NodeServer, startNodeServer } from '../harness/node-server.ts';

export type ServiceProcess = NodeServer;

/** Enough of a failing process's output to explain it, without growing the bench's own memory. */
const OUTPUT_LIMIT = 64 * 1024;

/**
 * The node flags of `npm run start:prod` (its heap limits), read from the package.json of
 * `checkout`, so the bench measures the process production runs; the bench starts node itself to
 * sample that pid's memory.
 */
export function productionNodeFlags(checkout = '.'): string[] {
  const manifest = JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
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
export function startService(options: {
  port: number;
  env: Record<string, string>;
  /** After start:prod's own flags, so these win where they overlap. */
  extraNodeFlags: string[];
  script?: string[];
}): Promise<ServiceProcess> {
  return startNodeServer({
    args: [...productionNodeFlags(), ...options.extraNodeFlags, ...(options.script ?? ['dist/server.js'])],
    env: options.env,
    port: options.port,
    readyPath: '/readyz',
    outputLimit: OUTPUT_LIMIT,
  });
}
