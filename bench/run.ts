// `npm run bench`: the service in production mode on PostgreSQL against local stand-ins for Google
// and Paystack, loaded over HTTP with autocannon, compared with pgbench on the same server at the
// same concurrency; then a check that no money was created or lost. See docs/PERFORMANCE.md.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import autocannon, {
  type AutocannonInstance,
  type AutocannonRequest,
  type AutocannonResult,
} from 'autocannon';
import { freePort } from '../harness/free-port.ts';
import { chargeSuccessBody, signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { openPostgres } from '../src/db/client.ts';
import { checkLedger } from '../src/ledger/check.ts';
import {
  adminQuery,
  type CpuShare,
  cpuMeter,
  databaseUrlFor,
  type PgbenchResult,
  pgbenchInit,
  pgbenchRun,
  RssSampler,
  requestJson,
  type ServiceProcess,
  type SignedInUser,
  type StandIns,
  scalar,
  signInThroughProvider,
  startService,
  startStandIns,
} from './support.ts';

// ---------------------------------------------------------------------------------------------
// Settings. Everything the issue fixes is a constant; what a person may want to vary is an env var.

const CONNECTIONS = 32;
const PGBENCH_THREADS = 2;
const PGBENCH_SCALE = 32;
const USERS = 40;
/** ₦1,000,000 each: transfers of at most ₦5 never run a wallet dry within a run. */
const FUNDING_KOBO = 100_000_000;
const MAX_TRANSFER_KOBO = 500;
/** ₦100, the amount of each deposit confirmed during the webhook phase. */
const WEBHOOK_DEPOSIT_KOBO = 10_000;
/** Bounds on how many deposits are prepared for the webhook phase (each is delivered once). */
const MIN_WEBHOOK_DEPOSITS = 1_000;
const MAX_WEBHOOK_DEPOSITS = 100_000;
/** autocannon's per-request timeout, seconds: far above any healthy latency here. */
const REQUEST_TIMEOUT_S = 10;

const TARGETS = {
  transferRatio: 0.5,
  balanceRatio: 0.3,
  transferP99Ms: 50,
  rssMib: 150,
};

/** The yardstick phases, run against `bench/floor-server.ts` instead of the service. */
const TRANSFER_FLOOR = 'transfers floor (bare Node + pg)';
const BALANCE_FLOOR = 'balance floor (bare Node + pg)';
const FLOOR_PHASES: readonly string[] = [TRANSFER_FLOOR, BALANCE_FLOOR];

type PhaseName = 'liveness' | 'transfers' | 'balance' | 'webhooks' | 'floor' | 'pgbench';
const ALL_PHASES: readonly PhaseName[] = ['liveness', 'transfers', 'balance', 'webhooks', 'floor', 'pgbench'];

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function phasesFromEnv(): Set<PhaseName> {
  const raw = process.env.BENCH_PHASES;
  if (raw === undefined || raw.trim() === '') return new Set(ALL_PHASES);
  const chosen = raw.split(',').map((name) => name.trim());
  for (const name of chosen) {
    if (!(ALL_PHASES as readonly string[]).includes(name)) {
      throw new Error(`BENCH_PHASES: unknown phase "${name}" (known: ${ALL_PHASES.join(', ')})`);
    }
  }
  return new Set(chosen as PhaseName[]);
}

const DURATION_S = intEnv('BENCH_DURATION', 10, 1, 600);
const PHASES = phasesFromEnv();
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** When set, the service runs with --cpu-prof and writes its profile there on exit. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR;
/** Node flags for the service after start:prod's (say `--max-old-space-size=64`), to try settings. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((flag) => flag !== '');
/** Keeps the service's database for EXPLAIN ANALYZE afterwards; it is then yours to drop. */
const KEEP_DATABASE = process.env.BENCH_KEEP_DATABASE === '1';

// ---------------------------------------------------------------------------------------------
// Load phases.

interface PhaseResult {
  name: string;
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  n5xx: number;
  /** Connection errors and timeouts: requests that got no HTTP answer. */
  errors: number;
  statusCodes: string;
  peakRssMib: number;
  cpu: CpuShare;
}

function summarize(name: string, result: AutocannonResult, peakRssMib: number, cpu: CpuShare): PhaseResult {
  const requests = result.requests.total;
  return {
    name,
    requests,
    durationS: result.duration,
    rps: result.duration > 0 ? requests / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    n5xx: result['5xx'],
    errors: result.errors + result.timeouts,
    statusCodes: Object.entries(result.statusCodeStats)
      .map(([code, stats]) => `${code}×${stats.count}`)
      .join(' '),
    peakRssMib,
    cpu,
  };
}

/** One autocannon run against the service, with the service's RSS sampled throughout. */
function load(
  service: ServiceProcess,
  name: string,
  request: AutocannonRequest,
  limit: { durationS: number } | { amount: number },
  onInstance?: (instance: AutocannonInstance) => void,
): Promise<PhaseResult> {
  const sampler = new RssSampler(service.pid);
  sampler.start();
  const cpu = cpuMeter(service.pid);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: service.url,
        connections: CONNECTIONS,
        timeout: REQUEST_TIMEOUT_S,
        ...('amount' in limit ? { amount: limit.amount } : { duration: limit.durationS }),
        requests: [request],
      },
      (error, result) => {
        sampler.stop();
        if (error) reject(error);
        else if (!service.alive()) reject(new Error(`the service died during ${name}:\n${service.output()}`));
        else resolve(summarize(name, result, sampler.peakMib(), cpu()));
      },
    );
    onInstance?.(instance);
  });
}

interface BenchUser extends SignedInUser {
  apiKey: string;
}

function pickPair(users: readonly BenchUser[]): [BenchUser, BenchUser] {
  const from = randomInt(users.length);
  let to = randomInt(users.length - 1);
  if (to >= from) to++;
  return [users[from] as BenchUser, users[to] as BenchUser];
}

function pickUser(users: readonly BenchUser[]): BenchUser {
  return users[randomInt(users.length)] as BenchUser;
}

// ---------------------------------------------------------------------------------------------
// Setup through the public API, as a client would do it.

async function createUsers(service: ServiceProcess, paystackSecretKey: string): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < USERS; i++) {
    const signedIn = await signInThroughProvider(service.url, `bench-user-${i}@example.com`);
    const key = await requestJson<{ api_key: string }>(
      `${service.url}/keys/create`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${signedIn.accessToken}` },
        body: { name: 'bench', permissions: ['deposit', 'transfer', 'read'], expiry: '1D' },
      },
      201,
    );
    const user: BenchUser = { ...signedIn, apiKey: key.api_key };
    const deposit = await requestJson<{ reference: string }>(
      `${service.url}/wallet/deposit`,
      { method: 'POST', headers: { 'x-api-key': user.apiKey }, body: { amount: FUNDING_KOBO } },
      201,
    );
    const body = chargeSuccessBody(deposit.reference, FUNDING_KOBO);
    const webhook = await fetch(`${service.url}/wallet/paystack/webhook`, {
      method: 'POST',
      headers: signedWebhookHeaders(body, paystackSecretKey),
      body,
      signal: AbortSignal.timeout(15_000),
    });
    if (webhook.status !== 200)
      throw new Error(`funding webhook: ${webhook.status}: ${await webhook.text()}`);
    users.push(user);
  }
  const balance = await requestJson<{ balance: number }>(
    `${service.url}/wallet/balance`,
    { headers: { 'x-api-key': (users[0] as BenchUser).apiKey } },
    200,
  );
  if (balance.balance !== FUNDING_KOBO) throw new Error(`funding did not arrive: balance ${balance.balance}`);
  return users;
}

/** Pending deposits made through the API (service → simulator), so the webhook phase confirms real ones. */
async function createPendingDeposits(
  service: ServiceProcess,
  users: readonly BenchUser[],
  count: number,
): Promise<{ references: string[]; phase: PhaseResult }> {
  const references: string[] = [];
  const body = JSON.stringify({ amount: WEBHOOK_DEPOSIT_KOBO });
  const phase = await load(
    service,
    'deposit init (setup)',
    {
      method: 'POST',
      path: '/wallet/deposit',
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/json', 'x-api-key': pickUser(users).apiKey },
        body,
      }),
      onResponse: (status, text) => {
        if (status === 201) references.push((JSON.parse(text) as { reference: string }).reference);
      },
    },
    { amount: count },
  );
  return { references, phase };
}

// ---------------------------------------------------------------------------------------------
// Report.

function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function printPhases(
  phases: readonly PhaseResult[],
  pgbench: { tpcb?: PgbenchResult; select?: PgbenchResult },
) {
  const header = [
    'phase',
    'requests',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    '5xx',
    'no answer',
    'peak RSS MiB',
    'CPU service / bench / all',
  ];
  const rows = phases.map((p) => [
    p.name,
    String(p.requests),
    fmt(p.rps),
    fmt(p.p50),
    fmt(p.p99),
    String(p.non2xx),
    String(p.n5xx),
    String(p.errors),
    fmt(p.peakRssMib, 1),
    `${fmt(p.cpu.service, 2)} / ${fmt(p.cpu.bench, 2)} / ${fmt(p.cpu.machine, 2)}`,
  ]);
  for (const [name, result] of [
    ['pgbench tpcb-like', pgbench.tpcb],
    ['pgbench select-only', pgbench.select],
  ] as const) {
    if (result === undefined) continue;
    // pgbench reports an average latency only; its column says so.
    const average = `avg ${fmt(result.latencyAvgMs, 1)}`;
    rows.push([
      name,
      String(result.transactions),
      fmt(result.tps),
      average,
      '',
      String(result.failed),
      '',
      '',
      '',
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const p of phases) {
    if (p.statusCodes !== '') console.log(`  ${p.name}: status codes ${p.statusCodes}`);
  }
  console.log(
    `  CPU: cores in use on average (of ${availableParallelism()}): service process, this load generator, whole machine`,
  );
}

interface TargetRow {
  target: string;
  measured: string;
  met: boolean | undefined;
}

/** `value / baseline`, and how it was computed; undefined when either side was not measured. */
function measuredRatio(
  value: number | undefined,
  baseline: number | undefined,
): { ratio: number; text: string } | undefined {
  if (value === undefined || baseline === undefined || baseline === 0) return undefined;
  const ratio = value / baseline;
  return { ratio, text: `${fmt(ratio, 2)} (${fmt(value)} / ${fmt(baseline)})` };
}

function ratioTarget(
  name: string,
  value: number | undefined,
  baseline: number | undefined,
  minimum: number,
): TargetRow {
  const measured = measuredRatio(value, baseline);
  return {
    target: `${name} >= ${minimum}`,
    measured: measured?.text ?? '',
    met: measured === undefined ? undefined : measured.ratio >= minimum,
  };
}

function printTargets(rows: readonly TargetRow[]): void {
  console.log('');
  for (const row of rows) {
    const verdict = row.met === undefined ? 'NOT MEASURED' : row.met ? 'met' : 'MISSED';
    console.log(`  ${verdict.padEnd(12)} ${row.target.padEnd(44)} ${row.measured}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    console.log('bench: npm run build');
    execFileSync('npm', ['run', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }

  const stamp = Date.now();
  const walletDb = `wallet_bench_${stamp}`;
  const pgbenchDb = `wallet_bench_${stamp}_pgbench`;
  const walletDbUrl = databaseUrlFor(SERVER_URL, walletDb);
  const pgbenchDbUrl = databaseUrlFor(SERVER_URL, pgbenchDb);
  const paystackSecretKey = `sk_test_${randomBytes(20).toString('hex')}`;

  let standIns: StandIns | undefined;
  let service: ServiceProcess | undefined;
  const created: string[] = [];
  const phases: PhaseResult[] = [];
  const pgbench: { tpcb?: PgbenchResult; select?: PgbenchResult } = {};
  let moneyOk = true;
  let serviceOverallPeakMib = 0;

  try {
    await adminQuery(SERVER_URL, `create database "${walletDb}"`);
    if (!KEEP_DATABASE) created.push(walletDb);

    const port = await freePort();
    const serviceUrl = `http://127.0.0.1:${port}`;
    const redirectUri = `${serviceUrl}/auth/google/callback`;
    const clientSecret = randomBytes(24).toString('base64url');
    standIns = await startStandIns({
      redirectUri,
      paystackSecretKey,
      webhookUrl: `${serviceUrl}/wallet/paystack/webhook`,
      clientSecret,
    });
    service = await startService({
      port,
      extraNodeFlags: [
        ...NODE_FLAGS,
        ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []),
      ],
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: walletDbUrl,
        JWT_SECRET: randomBytes(48).toString('base64url'),
        GOOGLE_CLIENT_ID: standIns.client.clientId,
        GOOGLE_CLIENT_SECRET: clientSecret,
        GOOGLE_ISSUER: standIns.issuer,
        GOOGLE_REDIRECT_URI: redirectUri,
        PAYSTACK_SECRET_KEY: paystackSecretKey,
        PAYSTACK_BASE_URL: standIns.paystackUrl,
        // The limits' own defaults already clear this load; they are raised so a faster machine
        // cannot trip them and turn a throughput figure into a count of 429s. The limiter still
        // runs on every request, so its cost stays in the figures.
        RATE_LIMIT_WALLET_PER_MINUTE: '1000000',
        RATE_LIMIT_AUTH_PER_MINUTE: '10000',
      },
    });
    console.log(`bench: service pid ${service.pid} on ${service.url}, database ${walletDb}`);

    const users = await createUsers(service, paystackSecretKey);
    console.log(`bench: ${users.length} users signed in, keyed and funded with ${FUNDING_KOBO} kobo each`);

    if (PHASES.has('liveness')) {
      // No authentication and no database: the ceiling of this HTTP stack on this machine, against
      // which the other phases' cost per request can be read.
      console.log(`bench: GET /healthz for ${DURATION_S} s at ${CONNECTIONS} connections`);
      phases.push(
        await load(service, 'liveness', { method: 'GET', path: '/healthz' }, { durationS: DURATION_S }),
      );
    }

    // The same requests go to the service and, in the floor phases, to the bare server.
    const transferRequest: AutocannonRequest = {
      method: 'POST',
      path: '/wallet/transfer',
      setupRequest: (request) => {
        const [from, to] = pickPair(users);
        return {
          ...request,
          headers: { 'content-type': 'application/json', 'x-api-key': from.apiKey },
          body: JSON.stringify({ wallet_number: to.walletNumber, amount: 1 + randomInt(MAX_TRANSFER_KOBO) }),
        };
      },
    };
    const balanceRequest: AutocannonRequest = {
      method: 'GET',
      path: '/wallet/balance',
      setupRequest: (request) => ({ ...request, headers: { 'x-api-key': pickUser(users).apiKey } }),
    };

    if (PHASES.has('transfers')) {
      console.log(`bench: transfers for ${DURATION_S} s at ${CONNECTIONS} connections`);
      phases.push(await load(service, 'transfers', transferRequest, { durationS: DURATION_S }));
    }

    if (PHASES.has('balance')) {
      console.log(`bench: balance reads for ${DURATION_S} s at ${CONNECTIONS} connections`);
      phases.push(await load(service, 'balance', balanceRequest, { durationS: DURATION_S }));
    }

    if (PHASES.has('webhooks')) {
      // Enough deposits for the phase's whole duration: credits measured at about a third of the
      // transfer rate (every one posts against the one clearing account), so 0.75 × the transfer
      // rate leaves a margin without spending minutes on setup. If they run out, the phase says so.
      const transferRps = phases.find((p) => p.name === 'transfers')?.rps ?? 1_000;
      const wanted = Math.min(
        MAX_WEBHOOK_DEPOSITS,
        Math.max(MIN_WEBHOOK_DEPOSITS, Math.ceil(transferRps * DURATION_S * 0.75)),
      );
      console.log(`bench: creating ${wanted} pending deposits through the API`);
      const pending = await createPendingDeposits(service, users, wanted);
      phases.push(pending.phase);
      // Signed ahead of time, so the load generator spends its share of the CPU on sending.
      const deliveries = pending.references.map((reference) => {
        const body = chargeSuccessBody(reference, WEBHOOK_DEPOSIT_KOBO);
        return { body, headers: signedWebhookHeaders(body, paystackSecretKey) };
      });
      if (deliveries.length === 0) throw new Error('no pending deposits were created');
      let next = 0;
      let instance: AutocannonInstance | undefined;
      let ranOut = false;
      console.log(`bench: ${deliveries.length} signed charge.success webhooks for up to ${DURATION_S} s`);
      const phase = await load(
        service,
        'webhooks',
        {
          method: 'POST',
          path: '/wallet/paystack/webhook',
          setupRequest: (request) => {
            if (next >= deliveries.length && !ranOut) {
              // autocannon needs some request to send until it stops; the last event again is a
              // redelivery, which the service must acknowledge without crediting twice.
              ranOut = true;
              instance?.stop();
            }
            const delivery = deliveries[Math.min(next, deliveries.length - 1)] as (typeof deliveries)[number];
            next++;
            return { ...request, headers: delivery.headers, body: delivery.body };
          },
        },
        { durationS: DURATION_S },
        (created) => {
          instance = created;
        },
      );
      if (ranOut) {
        phase.name = 'webhooks (ran out)';
        console.log(`bench: the ${deliveries.length} deposits ran out; the last was redelivered until stop`);
      }
      phases.push(phase);
    }

    serviceOverallPeakMib = new RssSampler(service.pid).highWaterMib();
    await service.stop();
    service = undefined;

    if (PHASES.has('floor')) {
      const floor = await startService({
        port: await freePort(),
        env: { DATABASE_URL: walletDbUrl },
        extraNodeFlags: ['--import', 'tsx'],
        script: ['bench/floor-server.ts'],
      });
      try {
        for (const [name, request] of [
          [TRANSFER_FLOOR, transferRequest],
          [BALANCE_FLOOR, balanceRequest],
        ] as const) {
          console.log(`bench: ${name} for ${DURATION_S} s at ${CONNECTIONS} connections`);
          phases.push(await load(floor, name, request, { durationS: DURATION_S }));
        }
      } finally {
        await floor.stop();
      }
    }

    // Money: wallets hold exactly the successful deposits, and every ledger invariant holds.
    const walletSum = BigInt(
      await scalar(
        walletDbUrl,
        `select coalesce(sum(balance), 0) as value from accounts where kind = 'wallet'`,
      ),
    );
    const depositSum = BigInt(
      await scalar(
        walletDbUrl,
        `select coalesce(sum(amount), 0) as value from deposits where status = 'success'`,
      ),
    );
    const credited = await scalar(
      walletDbUrl,
      `select count(*) as value from deposits where status = 'success'`,
    );
    const transfers = await scalar(
      walletDbUrl,
      `select count(*) as value from ledger_transactions where kind = 'transfer'`,
    );
    const database = await openPostgres(walletDbUrl);
    let ledger: Awaited<ReturnType<typeof checkLedger>>;
    try {
      ledger = await checkLedger(database.db);
    } finally {
      await database.close();
    }

    if (PHASES.has('pgbench')) {
      await adminQuery(SERVER_URL, `create database "${pgbenchDb}"`);
      created.push(pgbenchDb);
      console.log(`bench: pgbench -i -s ${PGBENCH_SCALE}`);
      await pgbenchInit(pgbenchDbUrl, PGBENCH_SCALE);
      const options = { clients: CONNECTIONS, threads: PGBENCH_THREADS, seconds: DURATION_S };
      console.log(`bench: pgbench tpcb-like -c ${CONNECTIONS} -j ${PGBENCH_THREADS} -T ${DURATION_S}`);
      pgbench.tpcb = await pgbenchRun(pgbenchDbUrl, { ...options, selectOnly: false });
      console.log(`bench: pgbench -S -c ${CONNECTIONS} -j ${PGBENCH_THREADS} -T ${DURATION_S}`);
      pgbench.select = await pgbenchRun(pgbenchDbUrl, { ...options, selectOnly: true });
    }

    // -------------------------------------------------------------------------------------------
    console.log('');
    console.log(`bench: ${CONNECTIONS} connections, ${DURATION_S} s per phase, ${USERS} users`);
    printPhases(phases, pgbench);

    // The service's own phases: the floor is another process, its figures no part of the targets.
    const servicePhases = phases.filter((p) => !FLOOR_PHASES.includes(p.name));
    const byName = (name: string) =>
      servicePhases.find(
        (p) => (p.name === name || p.name.startsWith(`${name} (`)) && !p.name.includes('setup'),
      );
    const transfer = byName('transfers');
    const balance = byName('balance');
    const transferFloor = phases.find((p) => p.name === TRANSFER_FLOOR);
    const balanceFloor = phases.find((p) => p.name === BALANCE_FLOOR);
    const loadPhases = servicePhases.filter((p) => !p.name.includes('setup'));
    const all5xx = servicePhases.reduce((sum, p) => sum + p.n5xx, 0);
    const peakRss = Math.max(serviceOverallPeakMib, ...servicePhases.map((p) => p.peakRssMib));
    printTargets([
      ratioTarget('transfers / pgbench tpcb-like', transfer?.rps, pgbench.tpcb?.tps, TARGETS.transferRatio),
      ratioTarget('balance / pgbench select-only', balance?.rps, pgbench.select?.tps, TARGETS.balanceRatio),
      {
        target: `p99 of transfers < ${TARGETS.transferP99Ms} ms`,
        measured: transfer ? `${fmt(transfer.p99)} ms` : '',
        met: transfer ? transfer.p99 < TARGETS.transferP99Ms : undefined,
      },
      {
        target: 'zero 5xx',
        measured: `${all5xx} 5xx, ${loadPhases.reduce((sum, p) => sum + p.errors, 0)} without an answer`,
        met: all5xx === 0,
      },
      {
        target: `service peak RSS < ${TARGETS.rssMib} MiB`,
        measured: `${fmt(peakRss, 1)} MiB (VmHWM over the whole run, setup included)`,
        met: peakRss < TARGETS.rssMib,
      },
    ]);
    for (const [label, floor, phase, baseline] of [
      ['transfers floor / pgbench tpcb-like', transferFloor, transfer, pgbench.tpcb?.tps],
      ['balance floor / pgbench select-only', balanceFloor, balance, pgbench.select?.tps],
    ] as const) {
      const measured = measuredRatio(floor?.rps, baseline);
      if (floor === undefined || measured === undefined) continue;
      const share = phase ? `; the service does ${fmt((phase.rps / floor.rps) * 100)} % of it` : '';
      console.log(`  ${'yardstick'.padEnd(12)} ${label.padEnd(44)} ${measured.text}${share}`);
    }

    console.log('');
    const conserved = walletSum === depositSum;
    console.log(
      `money: wallets hold ${walletSum} kobo; successful deposits ${depositSum} kobo (${credited} credited); ` +
        `${transfers} transfers posted: ${conserved ? 'conserved' : 'NOT CONSERVED'}`,
    );
    console.log(
      `ledger: ${ledger.totals.transactions} transactions, clearing ${ledger.totals.clearingBalance}: ` +
        (ledger.ok ? 'every invariant holds' : 'BROKEN'),
    );
    for (const problem of ledger.problems) console.log(`ledger: BROKEN: ${problem}`);
    moneyOk = conserved && ledger.ok;
    if (KEEP_DATABASE) console.log(`bench: kept ${walletDbUrl} (BENCH_KEEP_DATABASE=1); drop it when done`);
    console.log(`bench: finished in ${fmt((Date.now() - started) / 1000)} s`);
  } finally {
    await service?.stop();
    await standIns?.close();
    for (const name of created) {
      // FORCE: a connection left by a failed run must not keep a bench database alive.
      await adminQuery(SERVER_URL, `drop database if exists "${name}" with (force)`).catch(
        (error: unknown) => {
          console.error(`bench: could not drop ${name}: ${String(error)}`);
        },
      );
    }
  }
  if (!moneyOk) process.exitCode = 1;
}

await main();
