import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onPostgres } from './support/database.ts';
import { freePort } from './support/provider-page.ts';
import { startServiceProcess } from './support/service-process.ts';

const dirs: string[] = [];
function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-startup-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const PROCESS_TIMEOUT_MS = 150_000;

/** `npm start` as a process that is expected to exit on its own; its exit code and output. */
function runServer(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/server.ts'],
      {
        cwd: join(import.meta.dirname, '..'),
        env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
        timeout: 90_000,
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

        const second = await runServer({ DATA_DIR: dataDir, PORT: String(await freePort()) });
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
        const { code, stderr } = await runServer({ DATA_DIR: freshDataDir(), PORT: String(port) });
        expect(code).toBe(1);
        expectOneLine(stderr, new RegExp(`^Cannot start: port ${port} is in use: set PORT`));
      } finally {
        blocker.close();
      }
    },
    PROCESS_TIMEOUT_MS,
  );

  it('unreachable database', async () => {
    const port = await freePort();
    const { code, stderr } = await runServer({
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

  it.skipIf(!onPostgres)('missing database', async () => {
    const url = new URL(process.env.DATABASE_URL as string);
    url.pathname = '/nc_try_missing';
    const { code, stderr } = await runServer({ DATABASE_URL: url.toString(), DATA_DIR: freshDataDir() });
    expect(code).toBe(1);
    expectOneLine(stderr, /^Cannot start: database nc_try_missing does not exist: createdb nc_try_missing/);
  });

  it('bad LOG_LEVEL', async () => {
    const { code, stderr } = await runServer({ LOG_LEVEL: 'loud', DATA_DIR: freshDataDir() });
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
        // The banner comes right after listening; give the pipe a moment.
        await new Promise((resolve) => setTimeout(resolve, 200));
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
      const command = `'${process.execPath}' --import tsx src/server.ts`;
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
        const deadline = Date.now() + 90_000;
        while (!output.includes('wallet service ready') && Date.now() < deadline && child.exitCode === null) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
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
