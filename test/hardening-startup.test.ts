import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { onPostgres } from './support/database.ts';
import { runServiceToExit, startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { waitFor } from './support/wait.ts';

const dirs: string[] = [];
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-startup-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The longest test here starts the service three times, one after another. */
const PROCESS_TIMEOUT_MS = timeoutForStarts(3);

/** The one line a refused start prints: no stack trace, nothing else. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const line = stderr.trim();
  expect(line).not.toContain('\n');
  expect(line).not.toMatch(/\bat .+:\d+:\d+/);
  expect(line).toMatch(pattern);
}

describe('two processes on one embedded database', () => {
  it(
    'the second refuses naming the first, which keeps serving; after a SIGKILL the stale lock is taken over',
    async () => {
      const dataDir = freshDataDir();
      const first = await startServiceProcess({ env: { DATA_DIR: dataDir } });
      try {
        const pid = first.child.pid as number;
        expect(readFileSync(join(dataDir, '.lock'), 'utf8').trim()).toBe(String(pid));

        const second = await runServiceToExit({ DATA_DIR: dataDir, PORT: String(await freePort()) });
        expect(second.code).toBe(1);
        expectOneLine(
          second.stderr,
          new RegExp(`^Cannot start: .*${dataDir}.* is in use by process ${pid}: `),
        );
        expect(second.stdout).not.toMatch(/database ready/);
        expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      } finally {
        await first.crash();
      }

      // The crashed process could not remove its lock; its pid is dead, so the lock is stale.
      expect(existsSync(join(dataDir, '.lock'))).toBe(true);
      const third = await startServiceProcess({ env: { DATA_DIR: dataDir } });
      expect(readFileSync(join(dataDir, '.lock'), 'utf8').trim()).toBe(String(third.child.pid));
      expect(await third.stop()).toBe(0);
      // A clean stop releases the lock.
      expect(existsSync(join(dataDir, '.lock'))).toBe(false);
    },
    PROCESS_TIMEOUT_MS,
  );
});

describe('start-up failures print one line with the fix, no stack', () => {
  it(
    'port in use',
    async () => {
      const blocker = createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      const port = (blocker.address() as { port: number }).port;
      try {
        const { code, stderr } = await runServiceToExit({ DATA_DIR: freshDataDir(), PORT: String(port) });
        expect(code).toBe(1);
        expectOneLine(stderr, new RegExp(`^Cannot start: port ${port} is in use: set PORT`));
      } finally {
        blocker.close();
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it('unreachable database', { timeout: PROCESS_TIMEOUT_MS }, async () => {
    const port = await freePort();
    const { code, stderr } = await runServiceToExit({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/wallet`,
      DATA_DIR: freshDataDir(),
    });
    expect(code).toBe(1);
    expectOneLine(
      stderr,
      new RegExp(
        `^Cannot start: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}: start it or fix DATABASE_URL$`,
      ),
    );
  });

  it.skipIf(!onPostgres)('missing database', { timeout: PROCESS_TIMEOUT_MS }, async () => {
    const url = new URL(process.env.DATABASE_URL as string);
    url.pathname = '/nc_try_missing';
    const { code, stderr } = await runServiceToExit({
      DATABASE_URL: url.toString(),
      DATA_DIR: freshDataDir(),
    });
    expect(code).toBe(1);
    expectOneLine(stderr, /^Cannot start: database nc_try_missing does not exist: createdb nc_try_missing/);
  });

  it('bad LOG_LEVEL', { timeout: PROCESS_TIMEOUT_MS }, async () => {
    const { code, stderr } = await runServiceToExit({ LOG_LEVEL: 'loud', DATA_DIR: freshDataDir() });
    expect(code).toBe(1);
    expectOneLine(stderr, /^Configuration error: LOG_LEVEL: must be one of fatal, error, warn, info, debug/);
  });
});

describe('logs of a start outside a terminal', () => {
  it(
    'are JSON lines; the first start says it is creating the database, and a banner lists the URLs',
    async () => {
      const service = await startServiceProcess({ env: { DATA_DIR: freshDataDir(), LOG_LEVEL: 'info' } });
      try {
        // The banner comes right after listening, through a pipe that may lag behind /healthz.
        await waitFor(() => service.output().includes('wallet service ready'));
        const lines = service
          .output()
          .split('\n')
          .filter((line) => line.trim() !== '');
        const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
        expect(messages[0]).toMatch(
          /^creating the embedded database under .+ \(first start takes a few seconds\)/,
        );
        const banner = messages.find((message) => message.startsWith('wallet service ready'));
        const base = `http://localhost:${service.port}`;
        expect(banner).toContain(`${base}/ `);
        expect(banner).toContain(`${base}/docs`);
        expect(banner).toContain(`${base}/auth/google`);
      } finally {
        expect(await service.stop()).toBe(0);
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});

describe('logs of a start in a terminal outside production', () => {
  // `script` runs the service on a pseudo-terminal, as a person's shell would.
  it.skipIf(!existsSync('/usr/bin/script'))(
    'are readable lines, not JSON, with the banner',
    async () => {
      const port = await freePort();
      const command = `'${process.execPath}' src/server.ts`;
      const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
        cwd: join(import.meta.dirname, '..'),
        env: {
          PATH: process.env.PATH ?? '',
          DATA_DIR: freshDataDir(),
          PORT: String(port),
          HOST: '127.0.0.1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      const exited = once(child, 'exit');
      try {
        await waitFor(
          () => output.includes('wallet service ready') || child.exitCode !== null,
          START_TIMEOUT_MS,
        );
        expect(output).toContain(`wallet service ready: open http://localhost:${port}/`);
        expect(output).toContain('INFO');
        expect(output).not.toMatch(/^\{"level"/m);
      } finally {
        if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
        await exited;
      }
    },
    PROCESS_TIMEOUT_MS,
  );
});
