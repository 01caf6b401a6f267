import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { expectLedgerConsistent } from '../support/ledger.ts';
import { type ServiceProcess, startServiceProcess } from '../support/service-process.ts';
import { createFundedUsers, driveTransfers, FAULT_JWT_SECRET, sleep } from './support.ts';

/** The local cluster this machine runs; the test stops and starts it. */
function pgCluster(action: 'stop' | 'start'): void {
  const version = readdirSync('/etc/postgresql')[0] as string;
  const extra = action === 'stop' ? ['-m', 'fast'] : [];
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action, ...extra], {
    stdio: 'ignore',
  });
}

async function readiness(
  url: string,
): Promise<{ status: number; contentType: string | null; elapsedMs: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    elapsedMs: performance.now() - started,
  };
}

let database: TestDatabase;
let service: ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  service = await startServiceProcess({
    env: { DATABASE_URL: database.url as string, JWT_SECRET: FAULT_JWT_SECRET, NODE_ENV: 'test' },
  });
});
afterAll(async () => {
  await service.stop();
  await database.drop();
});

describe('PostgreSQL restart under load', () => {
  it('fails requests fast with 503 problem+json, goes unready, and recovers by itself', async () => {
    const users = await createFundedUsers(database.handle.db, 10, 10_000_000);
    // The test's own pool loses its connections in the restart too; it reconnects on next use.
    let down = false;
    const readinessDuringOutage: number[] = [];
    const outage = (async () => {
      await sleep(1_000);
      pgCluster('stop');
      down = true;
      try {
        for (let i = 0; i < 5; i++) {
          readinessDuringOutage.push((await readiness(service.url)).status);
          await sleep(200);
        }
      } finally {
        // Whatever the assertions find, the machine's PostgreSQL must come back.
        pgCluster('start');
        down = false;
      }
    })();
    const attempts = await driveTransfers(
      () => service.url,
      users,
      32,
      outage.then(() => sleep(3_000)),
      'restart',
    );

    // The process survives the outage: a connection dying under a checked-out client once crashed it.
    expect(service.child.exitCode).toBeNull();
    expect(readinessDuringOutage.every((status) => status === 503)).toBe(true);
    const failures = attempts.filter((a) => a.status !== 200);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.status).toBe(503);
      expect(failure.response).toMatchObject({ code: 'service_unavailable', status: 503 });
      expect(JSON.stringify(failure.response)).not.toMatch(/ECONNREFUSED|terminat|postgres/i);
      // Fail fast: well under the pool's connect timeout plus a round trip, never a hang.
      expect(failure.elapsedMs).toBeLessThan(5_000);
    }
    expect(down).toBe(false);
    const slowest = Math.max(...failures.map((f) => f.elapsedMs));
    console.info(
      `postgres restart: ${attempts.length} transfers, ${failures.length} answered 503 (slowest ${slowest.toFixed(0)} ms), ` +
        `readiness during the outage ${readinessDuringOutage.join(',')}`,
    );

    let ready = await readiness(service.url);
    for (let i = 0; ready.status !== 200 && i < 50; i++) {
      await sleep(200);
      ready = await readiness(service.url);
    }
    expect(ready.status).toBe(200);
    const after = await driveTransfers(() => service.url, users, 4, sleep(1_000), 'after');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((a) => a.status === 200)).toBe(true);
    await expectLedgerConsistent(database.handle.db);
  });
});
