// Building the ledger the scaling bench measures: users and wallets, funded through the real
// deposit_credit function, then transfers, through the real wallet_transfer function (pgbench) up
// to a threshold and by bulk SQL that writes exactly the rows ledger_post would beyond it.
import pg from 'pg';

export type Client = pg.Client;

export async function connect(databaseUrl: string): Promise<Client> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-scaling' });
  // A server restart mid-run (other work on a shared machine restarts it) surfaces as the next
  // query's error; unheard, the client's 'error' event would end the process first.
  client.on('error', () => {});
  await client.connect();
  // Bulk statements sort millions of rows; the server's default 4 MB would spill them to disk.
  await client.query(`set work_mem = '256MB'`);
  await client.query(`set maintenance_work_mem = '512MB'`);
  return client;
}

/**
 * Helpers that exist only in the bench's database: a bench user's id and wallet number as
 * functions of its number n, the same as the pgbench scripts compute (pgbench.ts).
 */
const HELPERS = `
create or replace function scaling_user_id(n int) returns uuid language sql immutable as $$
  select ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$$;
create or replace function scaling_wallet_number(n int) returns text language sql immutable as $$
  select p || ((10 - sum(case when i % 2 = 0 then (2 * d) % 10 + (2 * d) / 10 else d end) % 10) % 10)::text
    from (select (100000000000 + n)::text as p) x,
         lateral (select i, substr(x.p, 12 - i, 1)::int as d from generate_series(0, 11) i) digits
   group by p
$$;
`;

export interface Population {
  users: number;
  /** Account id of user 1; user n's is firstAccount + n - 1. */
  firstAccount: number;
}

/**
 * `users` users with a wallet each, every wallet funded with one deposit of `fundingKobo`
 * credited by the real `deposit_credit` (so 2 ledger entries per user before any transfer).
 */
/** The population of a database an earlier run built (SCALING_RESUME). */
export async function existingPopulation(client: Client): Promise<Population> {
  const { rows } = await client.query<{ users: string; first: string }>(
    `select count(*) as users, min(account_id) as first from wallets where user_id = scaling_user_id(account_id::int - (select min(account_id) from wallets)::int + 1)`,
  );
  const users = Number(rows[0]?.users);
  if (!users) throw new Error('no bench population in this database');
  return { users, firstAccount: Number(rows[0]?.first) };
}

export async function createPopulation(
  client: Client,
  users: number,
  fundingKobo: number,
): Promise<Population> {
  await client.query(HELPERS);
  await client.query('begin');
  await client.query(
    `insert into users (id, google_sub, email, name)
     select scaling_user_id(n), 'scaling-' || n, 'user' || n || '@scaling.example', 'User ' || n
       from generate_series(1, $1::int) n`,
    [users],
  );
  const { rows } = await client.query<{ first: string }>(
    `with inserted as (
       insert into accounts (kind) select 'wallet' from generate_series(1, $1::int) order by 1 returning id)
     select min(id) as first from inserted`,
    [users],
  );
  const firstAccount = Number(rows[0]?.first);
  await client.query(
    `insert into wallets (account_id, user_id, wallet_number)
     select $2::bigint + n - 1, scaling_user_id(n), scaling_wallet_number(n) from generate_series(1, $1::int) n`,
    [users, firstAccount],
  );
  const check = await client.query<{ n: string }>(
    `select count(*) as n from wallets where account_id between $1::bigint and $1::bigint + $2::int - 1`,
    [firstAccount, users],
  );
  if (Number(check.rows[0]?.n) !== users) throw new Error('wallet account ids are not contiguous');
  // What startDeposit and the webhook leave: a deposit claimed as success, then credited.
  await client.query(
    `insert into deposits (user_id, reference, amount, status)
     select scaling_user_id(n), 'dep-' || left(md5(random()::text || n), 22), $2::bigint, 'success'
       from generate_series(1, $1::int) n`,
    [users, fundingKobo],
  );
  await client.query('commit');
  // One transaction per thousand credits, as webhooks commit one by one: a hundred thousand
  // updates of the clearing account's row in one transaction leave a chain of row versions that
  // every later update in it walks.
  for (let n = 0; n < users; n += 1000) {
    await client.query(
      `select deposit_credit(d.id) from deposits d
        where d.user_id in (select scaling_user_id(n) from generate_series($1::int, $2::int) n)
        order by d.user_id`,
      [n + 1, Math.min(users, n + 1000)],
    );
  }
  return { users, firstAccount };
}

/** Ledger entries now: exact, so cheap enough only at these sizes with the table vacuumed. */
export async function entryCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>('select count(*) as n from ledger_entries');
  return Number(rows[0]?.n);
}

/**
 * `transfers` random transfers between the population's wallets, written as ledger_post writes
 * them: a ledger_transactions row (kind transfer, a random reference of the service's length),
 * then the two entries in ascending account id order, each with its balance_after (the account's
 * running balance in id order) and clock_timestamp(), then the cached balances. Amounts of
 * 1..maxKobo never take a funded wallet below zero at these sizes (checked: the accounts' CHECK
 * and ledger:check afterwards). Done in batches, one transaction each, with every index and
 * foreign key in place, so the tables and indexes grow as they would row by row.
 */
export async function bulkTransfers(
  client: Client,
  population: Population,
  transfers: number,
  options: { batch: number; maxKobo: number; onBatch: (done: number) => void },
): Promise<void> {
  const { users, firstAccount } = population;
  for (let done = 0; done < transfers; ) {
    const size = Math.min(options.batch, transfers - done);
    await client.query('begin');
    await client.query(`lock table accounts in share row exclusive mode`);
    await client.query(
      `create temp table batch on commit drop as
       select seq, gen_random_uuid() as transaction_id,
              'trf-' || left(md5(random()::text || seq), 22) as reference,
              $3::bigint + sender - 1 as sender, $3::bigint + (sender - 1 + step) % $2::int as recipient, amount
         from (select seq, 1 + floor(random() * $2::int)::int as sender,
                      1 + floor(random() * ($2::int - 1))::int as step,
                      1 + floor(random() * $4::int)::bigint as amount
                 from generate_series(1, $1::int) seq) drawn`,
      [size, users, firstAccount, options.maxKobo],
    );
    await client.query(
      `insert into ledger_transactions (id, reference, kind, created_at)
       select transaction_id, reference, 'transfer', clock_timestamp() from batch order by seq`,
    );
    await client.query(
      `create temp table batch_entries on commit drop as
       select seq, transaction_id, account_id, amount,
              a.balance + sum(amount) over (partition by account_id order by seq) as balance_after
         from (select seq, transaction_id, sender as account_id, -amount as amount from batch
               union all
               select seq, transaction_id, recipient, amount from batch) e
         join accounts a on a.id = e.account_id`,
    );
    await client.query(
      `insert into ledger_entries (transaction_id, account_id, amount, balance_after, created_at)
       select transaction_id, account_id, amount, balance_after, clock_timestamp()
         from batch_entries order by seq, account_id`,
    );
    await client.query(
      `update accounts a set balance = a.balance + d.delta
         from (select account_id, sum(amount) as delta from batch_entries group by account_id) d
        where a.id = d.account_id`,
    );
    await client.query('commit');
    done += size;
    options.onBatch(done);
  }
}

/** After each growth step, as autovacuum would have by then: fresh statistics and visibility map. */
export async function vacuumLedger(client: Client): Promise<void> {
  for (const table of ['ledger_entries', 'ledger_transactions', 'accounts', 'wallets', 'deposits']) {
    await client.query(`vacuum (analyze) ${table}`);
  }
}

export interface RelationSize {
  name: string;
  /** Table or index. */
  kind: 'table' | 'index';
  table: string;
  rows: number;
  /** Heap only for a table (pg_relation_size), the index itself for an index. */
  bytes: number;
  /** Table: heap + indexes + TOAST (pg_total_relation_size); index: same as bytes. */
  totalBytes: number;
  indexesBytes: number;
}

export const MEASURED_TABLES = ['ledger_entries', 'ledger_transactions', 'accounts', 'wallets'] as const;

export async function relationSizes(client: Client): Promise<RelationSize[]> {
  const sizes: RelationSize[] = [];
  for (const table of MEASURED_TABLES) {
    const { rows } = await client.query<{ rows: string; heap: string; total: string; indexes: string }>(
      `select (select count(*) from ${table}) as rows, pg_relation_size($1::regclass) as heap,
              pg_total_relation_size($1::regclass) as total, pg_indexes_size($1::regclass) as indexes`,
      [table],
    );
    const row = rows[0];
    if (!row) throw new Error(`no size for ${table}`);
    const count = Number(row.rows);
    sizes.push({
      name: table,
      kind: 'table',
      table,
      rows: count,
      bytes: Number(row.heap),
      totalBytes: Number(row.total),
      indexesBytes: Number(row.indexes),
    });
    const indexes = await client.query<{ name: string; bytes: string }>(
      `select c.relname as name, pg_relation_size(c.oid) as bytes
         from pg_index i join pg_class c on c.oid = i.indexrelid
        where i.indrelid = $1::regclass order by c.relname`,
      [table],
    );
    for (const index of indexes.rows) {
      sizes.push({
        name: index.name,
        kind: 'index',
        table,
        rows: count,
        bytes: Number(index.bytes),
        totalBytes: Number(index.bytes),
        indexesBytes: 0,
      });
    }
  }
  return sizes;
}

export async function transferCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `select count(*) as n from ledger_transactions where kind = 'transfer'`,
  );
  return Number(rows[0]?.n);
}

/** Buffers a history page touches and its server time, from EXPLAIN (ANALYZE, BUFFERS), median of `tries`. */
export async function explainHistory(
  client: Client,
  population: Population,
  tries: number,
): Promise<{ buffers: number; ms: number }> {
  const buffers: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < tries; i++) {
    const account = population.firstAccount + Math.floor(Math.random() * population.users);
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `explain (analyze, buffers, format json)
       select e.id, e.amount, t.id, t.reference, e.created_at,
              (select w.wallet_number from ledger_entries other join wallets w on w.account_id = other.account_id
                where other.transaction_id = e.transaction_id and other.account_id <> e.account_id limit 1)
         from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
        where e.account_id = $1::bigint order by e.id desc limit 21`,
      [account],
    );
    type Plan = { Plan: Record<string, number>; 'Execution Time': number };
    const plan = ((rows[0]?.['QUERY PLAN'] ?? []) as Plan[])[0];
    if (!plan) throw new Error('no plan');
    buffers.push((plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0));
    times.push(plan['Execution Time']);
  }
  return { buffers: median(buffers), ms: median(times) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Block reads (from outside shared_buffers) and hits on the ledger's relations since the last reset. */
export async function ledgerBlockStats(client: Client): Promise<{ read: number; hit: number }> {
  const { rows } = await client.query<{ read: string; hit: string }>(
    `select coalesce(sum(coalesce(heap_blks_read, 0) + coalesce(idx_blks_read, 0)), 0) as read,
            coalesce(sum(coalesce(heap_blks_hit, 0) + coalesce(idx_blks_hit, 0)), 0) as hit
       from pg_statio_user_tables where relname in ('ledger_entries', 'ledger_transactions', 'accounts', 'wallets')`,
  );
  return { read: Number(rows[0]?.read), hit: Number(rows[0]?.hit) };
}

/** Mean server time of one wallet_transfer call since the last reset (track_functions = all). */
export async function functionMeanMs(client: Client, name: string): Promise<number> {
  const { rows } = await client.query<{ calls: string; total: string }>(
    `select calls, total_time as total from pg_stat_user_functions where funcname = $1`,
    [name],
  );
  const row = rows[0];
  return row && Number(row.calls) > 0 ? Number(row.total) / Number(row.calls) : Number.NaN;
}

export async function resetStats(client: Client): Promise<void> {
  await client.query('select pg_stat_reset()');
}

export interface TransferPlan {
  /** Shared buffers the call touched (hit + read), and of them read from outside shared_buffers. */
  buffers: number;
  read: number;
  /** WAL the call wrote (the commit record aside): bytes, and full-page images among its records. */
  walBytes: number;
  fullPageImages: number;
  ms: number;
}

/**
 * One real transfer between random wallets under EXPLAIN (ANALYZE, BUFFERS, WAL), which counts
 * everything the function's statements did; median of `tries` (each one moves money).
 */
export async function explainTransfer(
  client: Client,
  population: Population,
  tries: number,
): Promise<TransferPlan> {
  const samples: TransferPlan[] = [];
  for (let i = 0; i < tries; i++) {
    const sender = 1 + Math.floor(Math.random() * population.users);
    const recipient =
      1 + ((sender - 1 + 1 + Math.floor(Math.random() * (population.users - 1))) % population.users);
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `explain (analyze, buffers, wal, format json)
       select sender_balance from wallet_transfer(scaling_user_id($1), scaling_wallet_number($2), 1 + floor(random() * 500)::bigint,
                                                  'trf-' || left(md5(random()::text || clock_timestamp()::text), 22))`,
      [sender, recipient],
    );
    type Plan = { Plan: Record<string, number>; 'Execution Time': number };
    const plan = ((rows[0]?.['QUERY PLAN'] ?? []) as Plan[])[0];
    if (!plan) throw new Error('no plan');
    const p = plan.Plan;
    samples.push({
      buffers: (p['Shared Hit Blocks'] ?? 0) + (p['Shared Read Blocks'] ?? 0),
      read: p['Shared Read Blocks'] ?? 0,
      walBytes: p['WAL Bytes'] ?? 0,
      fullPageImages: p['WAL FPI'] ?? 0,
      ms: plan['Execution Time'],
    });
  }
  return {
    buffers: median(samples.map((s) => s.buffers)),
    read: median(samples.map((s) => s.read)),
    walBytes: median(samples.map((s) => s.walBytes)),
    fullPageImages: median(samples.map((s) => s.fullPageImages)),
    ms: median(samples.map((s) => s.ms)),
  };
}
