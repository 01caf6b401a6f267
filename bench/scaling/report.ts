// The scaling bench's report: markdown tables, as docs/SCALING.md records them.

import type { PgbenchResult } from '../pgbench.ts';
import { median, type RelationSize, type TransferPlan } from './ledger.ts';

export interface SizeResult {
  /** The size asked for (entries); `entries` is what was there when measured. */
  target: number;
  entries: number;
  transfers: number;
  growth: { realPath: PgbenchResult | undefined; bulkTransfers: number; bulkSeconds: number };
  checkSeconds: number;
  /** What happened to `npm run ledger:check` itself. */
  checkNote: string;
  sizes: RelationSize[];
  historyPlan: { buffers: number; ms: number };
  /** One transfer under EXPLAIN (ANALYZE, BUFFERS, WAL), medians. */
  transferPlan: TransferPlan;
  posting: {
    clients: number;
    transfer: PgbenchResult;
    tpcb: PgbenchResult;
    /** Server time per wallet_transfer call, pg_stat_user_functions. */
    functionMs: number;
    /** Blocks of the ledger's tables and indexes read from outside shared_buffers, and hit, during the run. */
    blocks: { read: number; hit: number };
  }[];
  reads: { clients: number; history: PgbenchResult; balance: PgbenchResult; select: PgbenchResult }[];
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const range = (values: number[], digits = 2) => {
  const low = Math.min(...values).toFixed(digits);
  const high = Math.max(...values).toFixed(digits);
  return low === high ? low : `${low}–${high}`;
};

/** Runs grouped by their client count, in the order the counts first appear. */
function byClients<Run extends { clients: number }>(runs: readonly Run[]): Map<number, Run[]> {
  const groups = new Map<number, Run[]>();
  for (const run of runs) groups.set(run.clients, [...(groups.get(run.clients) ?? []), run]);
  return groups;
}

function sizeTable(result: SizeResult): string[] {
  const lines = [
    `Ledger at ${int(result.entries)} entries (${int(result.transfers)} transfers):`,
    '',
    '| relation | rows | heap or index MiB | total MiB (heap+indexes+TOAST) | indexes MiB | bytes per row | MiB per million transfers |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of result.sizes) {
    // A transfer writes one ledger_transactions row and two ledger_entries rows.
    const rowsPerTransfer =
      size.table === 'ledger_entries' ? 2 : size.table === 'ledger_transactions' ? 1 : 0;
    const perRow = size.rows > 0 ? size.totalBytes / size.rows : 0;
    const perMillion = rowsPerTransfer > 0 ? mib(perRow * rowsPerTransfer * 1e6) : '';
    const name = size.kind === 'index' ? `  ↳ ${size.name}` : `**${size.name}**`;
    lines.push(
      `| ${name} | ${int(size.rows)} | ${mib(size.bytes)} | ${mib(size.totalBytes)} | ${size.kind === 'table' ? mib(size.indexesBytes) : ''} | ${perRow.toFixed(0)} | ${perMillion} |`,
    );
  }
  return lines;
}

export function printReport(report: {
  settings: Record<string, string>;
  users: number;
  durationS: number;
  repeats: number;
  totalSeconds: number;
  results: SizeResult[];
}): void {
  const { settings, results } = report;
  const out: string[] = [
    '',
    `bench:scaling, ${new Date().toISOString()}: ${report.users} users, pgbench -M prepared, ${report.durationS} s per run, ${report.repeats} runs of each, whole run ${(report.totalSeconds / 60).toFixed(1)} min`,
    `server: ${Object.entries(settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  ];
  for (const result of results) out.push(...sizeTable(result), '');

  out.push(
    'How each size was reached, and what the invariant check cost:',
    '',
    '| entries | through wallet_transfer (pgbench, 8 clients) | bulk SQL transfers | bulk time s | ledger check s | npm run ledger:check |',
    '|---:|---|---:|---:|---:|---|',
  );
  for (const r of results) {
    const real = r.growth.realPath
      ? `${int(r.growth.realPath.transactions)} at ${int(r.growth.realPath.tps)}/s`
      : '—';
    out.push(
      `| ${int(r.entries)} | ${real} | ${int(r.growth.bulkTransfers)} | ${r.growth.bulkTransfers ? r.growth.bulkSeconds.toFixed(0) : '—'} | ${r.checkSeconds.toFixed(1)} | ${r.checkNote} |`,
    );
  }

  out.push(
    '',
    'Posting: the wallet_transfer call against pgbench tpcb-like at the same concurrency (runs alternate; ratio per pair):',
    '',
    '| entries | clients | transfers/s | tpcb-like/s | ratio | server ms per call (median) | ledger blocks read outside shared_buffers per transfer |',
    '|---:|---:|---|---|---|---:|---:|',
  );
  for (const r of results) {
    for (const [clients, runs] of byClients(r.posting)) {
      out.push(
        `| ${int(r.entries)} | ${clients} | ${runs.map((p) => int(p.transfer.tps)).join(', ')} | ${runs
          .map((p) => int(p.tpcb.tps))
          .join(', ')} | ${range(runs.map((p) => p.transfer.tps / p.tpcb.tps))} | ${median(
          runs.map((p) => p.functionMs),
        ).toFixed(3)} | ${range(runs.map((p) => p.blocks.read / Math.max(1, p.transfer.transactions)))} |`,
      );
    }
  }

  out.push(
    '',
    'One wallet_transfer call under EXPLAIN (ANALYZE, BUFFERS, WAL), one client, median of 51 (between runs, not under load):',
    '',
    '| entries | buffers touched | of them read from outside shared_buffers | WAL bytes | full-page images | server ms |',
    '|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of results) {
    const t = r.transferPlan;
    out.push(
      `| ${int(r.entries)} | ${t.buffers} | ${t.read} | ${int(t.walBytes)} | ${t.fullPageImages} | ${t.ms.toFixed(3)} |`,
    );
  }
  out.push(
    '',
    'Reads: a history page (GET /wallet/transactions, first page) and a balance read (GET /wallet/balance) against pgbench -S:',
    '',
    '| entries | clients | history/s | balance/s | select-only/s | history ratio | balance ratio | history page: buffers, server ms (EXPLAIN, median of 21) |',
    '|---:|---:|---|---|---|---|---|---|',
  );
  for (const r of results) {
    for (const [clients, runs] of byClients(r.reads)) {
      out.push(
        `| ${int(r.entries)} | ${clients} | ${runs.map((p) => int(p.history.tps)).join(', ')} | ${runs
          .map((p) => int(p.balance.tps))
          .join(', ')} | ${runs.map((p) => int(p.select.tps)).join(', ')} | ${range(
          runs.map((p) => p.history.tps / p.select.tps),
        )} | ${range(runs.map((p) => p.balance.tps / p.select.tps))} | ${r.historyPlan.buffers}, ${r.historyPlan.ms.toFixed(3)} |`,
      );
    }
  }
  const failed = results.flatMap((r) => [
    ...r.posting.flatMap((p) => [p.transfer.failed, p.tpcb.failed]),
    ...r.reads.flatMap((p) => [p.history.failed, p.balance.failed, p.select.failed]),
  ]);
  out.push('', `failed pgbench transactions: ${failed.reduce((a, b) => a + b, 0)}`);
  console.log(out.join('\n'));
}
