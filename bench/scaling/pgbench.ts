// pgbench for the scaling bench: PostgreSQL's own C client running either its built-in scripts
// (the baselines) or our SQL (the ledger's posting, history and balance queries) as custom scripts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PgbenchResult, parsePgbench, runPgbench } from '../pgbench.ts';

/** What one timed run executes: a built-in script (`tpcb-like`, `select-only`) or a file of ours. */
export type Workload = { builtin: 'tpcb-like' | 'select-only' } | { file: string };

/**
 * One timed run, `-M prepared` whatever the script: the service prepares its hot statements, so
 * the baselines are prepared too. `defines` become pgbench variables (`-D name=value`).
 */
export async function timedRun(
  databaseUrl: string,
  workload: Workload,
  options: { clients: number; seconds: number; defines?: Record<string, string | number> },
): Promise<PgbenchResult> {
  const threads = Math.min(2, options.clients);
  const args = ['-n', '-M', 'prepared', '-c', String(options.clients), '-j', String(threads)];
  args.push('-T', String(options.seconds));
  if ('builtin' in workload) args.push('-b', workload.builtin);
  else args.push('-f', workload.file);
  for (const [name, value] of Object.entries(options.defines ?? {})) args.push('-D', `${name}=${value}`);
  return parsePgbench(await runPgbench(args, databaseUrl, (options.seconds + 300) * 1000));
}

/** Runs `file` `transactionsPerClient` times on each of `clients` connections (growing the ledger). */
export async function countedRun(
  databaseUrl: string,
  file: string,
  options: { clients: number; transactionsPerClient: number; defines: Record<string, string | number> },
): Promise<PgbenchResult> {
  const args = ['-n', '-M', 'prepared', '-c', String(options.clients), '-j', '2'];
  args.push('-t', String(options.transactionsPerClient), '-f', file);
  for (const [name, value] of Object.entries(options.defines)) args.push('-D', `${name}=${value}`);
  return parsePgbench(await runPgbench(args, databaseUrl, 60 * 60_000));
}

/**
 * pgbench computes integers only, so a bench user's id and wallet number are functions of its
 * number n (1..users) that both pgbench and SQL can compute: the uuid ends in n, and the wallet
 * number is 10^11 + n followed by its Luhn digit (src/ledger/wallet-number.ts), computed here in
 * pgbench's integer arithmetic and in SQL by `scaling_wallet_number` (ledger.ts).
 */
function luhnDigitExpression(payloadVariable: string): string {
  const terms: string[] = [];
  for (let i = 0; i < 12; i++) {
    const digit = `((:${payloadVariable} / ${10 ** i}) % 10)`;
    // Doubling starts from the payload's rightmost digit; a doubled digit counts its two digits.
    terms.push(i % 2 === 0 ? `((2 * ${digit}) % 10 + (2 * ${digit}) / 10)` : digit);
  }
  return `(10 - (${terms.join(' + ')}) % 10) % 10`;
}

const USER_ID_SQL = (variable: string) =>
  `('00000000-0000-4000-8000-' || lpad((:${variable})::text, 12, '0'))::uuid`;

/** The scripts, written into `dir`; each takes `-D users=<n>` (and history `first_account`). */
export function writeScripts(
  dir: string,
  maxTransferKobo: number,
): Record<'transfer' | 'history' | 'balance', string> {
  const transfer = join(dir, 'transfer.sql');
  // A random sender and a different random recipient, 1..max kobo, a fresh random reference of
  // the service's length (newReference: a prefix and 22 characters), in the one statement the
  // service sends (src/ledger/transfer.ts).
  writeFileSync(
    transfer,
    [
      '\\set sender random(1, :users)',
      '\\set recipient 1 + (:sender - 1 + random(1, :users - 1)) % :users',
      '\\set payload 100000000000 + :recipient',
      `\\set check ${luhnDigitExpression('payload')}`,
      '\\set wallet :payload * 10 + :check',
      `\\set amount random(1, ${maxTransferKobo})`,
      `select sender_balance from wallet_transfer(${USER_ID_SQL('sender')}, (:wallet)::bigint::text, (:amount)::bigint,`,
      "  'trf-' || left(md5(random()::text || clock_timestamp()::text), 22));",
      '',
    ].join('\n'),
  );
  const history = join(dir, 'history.sql');
  // The first page of GET /wallet/transactions (src/ledger/history.ts, 20 items and one more to
  // know whether there is a next page) for a random wallet's account.
  writeFileSync(
    history,
    [
      '\\set account :first_account + random(0, :users - 1)',
      `select e.id as entry_id, e.amount, t.id as transaction_id,
       coalesce(held.reference, returned.reference, t.reference) as reference,
       case t.kind when 'debt_repayment' then 'refund' else t.kind end as kind,
       coalesce(held.status, 'success') as status, e.created_at,
       (select w.wallet_number from ledger_entries other join wallets w on w.account_id = other.account_id
         where other.transaction_id = e.transaction_id and other.account_id <> e.account_id limit 1)
         as counterparty_wallet_number
  from ledger_entries e
  join ledger_transactions t on t.id = e.transaction_id
  left join withdrawals held on held.hold_transaction_id = t.id
  left join withdrawals returned on returned.return_transaction_id = t.id
 where e.account_id = (:account)::bigint
 order by e.id desc
 limit 21;`,
      '',
    ].join('\n'),
  );
  const balance = join(dir, 'balance.sql');
  // GET /wallet/balance's query (walletByUser in src/ledger/wallets.ts).
  writeFileSync(
    balance,
    [
      '\\set user random(1, :users)',
      `select w.account_id, w.wallet_number, a.balance, w.frozen_at, debt.balance
  from wallets w
  join accounts a on a.id = w.account_id
  left join accounts debt on debt.id = w.debt_account_id
 where w.user_id = ${USER_ID_SQL('user')};`,
      '',
    ].join('\n'),
  );
  return { transfer, history, balance };
}
