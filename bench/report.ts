// What the bench prints: the phases as a table, then each target met or missed.
import { availableParallelism } from 'node:os';
import type { PhaseResult } from './load.ts';
import type { PgbenchBaselines } from './pgbench.ts';
import { BALANCE_FLOOR, FLOOR_PHASES, TARGETS, TRANSFER_FLOOR } from './settings.ts';

export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

const HEADER = [
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

function phaseRow(p: PhaseResult): string[] {
  return [
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
  ];
}

function pgbenchRows(pgbench: PgbenchBaselines): string[][] {
  const rows: string[][] = [];
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
  return rows;
}

/** The phases and pgbench's baselines as a Markdown table, then each phase's status codes. */
export function printPhases(phases: readonly PhaseResult[], pgbench: PgbenchBaselines): void {
  const rows = [...phases.map(phaseRow), ...pgbenchRows(pgbench)];
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(HEADER));
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

function printTargetRows(rows: readonly TargetRow[]): void {
  console.log('');
  for (const row of rows) {
    const verdict = row.met === undefined ? 'NOT MEASURED' : row.met ? 'met' : 'MISSED';
    console.log(`  ${verdict.padEnd(12)} ${row.target.padEnd(44)} ${row.measured}`);
  }
}

/** The service's phases by name (a "(ran out)" suffix allowed), setup phases left out. */
function servicePhase(phases: readonly PhaseResult[], name: string): PhaseResult | undefined {
  return phases.find(
    (p) =>
      !FLOOR_PHASES.includes(p.name) &&
      (p.name === name || p.name.startsWith(`${name} (`)) &&
      !p.name.includes('setup'),
  );
}

/**
 * Each target met, missed or not measured, then the floor phases as yardsticks against pgbench.
 * `serviceOverallPeakMib`: the service's RSS high-water mark over its whole life.
 */
export function printTargets(
  phases: readonly PhaseResult[],
  pgbench: PgbenchBaselines,
  serviceOverallPeakMib: number,
): void {
  // The service's own phases: the floor is another process, its figures no part of the targets.
  const service = phases.filter((p) => !FLOOR_PHASES.includes(p.name));
  const transfer = servicePhase(phases, 'transfers');
  const balance = servicePhase(phases, 'balance');
  const webhooks = servicePhase(phases, 'webhooks');
  const loadPhases = service.filter((p) => !p.name.includes('setup'));
  const all5xx = service.reduce((sum, p) => sum + p.n5xx, 0);
  const peakRss = Math.max(serviceOverallPeakMib, ...service.map((p) => p.peakRssMib));
  printTargetRows([
    ratioTarget('transfers / pgbench tpcb-like', transfer?.rps, pgbench.tpcb?.tps, TARGETS.transferRatio),
    ratioTarget('balance / pgbench select-only', balance?.rps, pgbench.select?.tps, TARGETS.balanceRatio),
    ratioTarget('webhook credits / transfers', webhooks?.rps, transfer?.rps, TARGETS.webhookRatio),
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
  printYardsticks(phases, transfer, balance, pgbench);
  for (const name of ['transfers (webhooks on)', 'withdrawals']) {
    const measured = measuredRatio(servicePhase(phases, name)?.rps, transfer?.rps);
    if (measured !== undefined)
      console.log(`  ${'figure'.padEnd(12)} ${`${name} / transfers`.padEnd(44)} ${measured.text}`);
  }
}

function printYardsticks(
  phases: readonly PhaseResult[],
  transfer: PhaseResult | undefined,
  balance: PhaseResult | undefined,
  pgbench: PgbenchBaselines,
): void {
  const transferFloor = phases.find((p) => p.name === TRANSFER_FLOOR);
  const balanceFloor = phases.find((p) => p.name === BALANCE_FLOOR);
  for (const [label, floor, phase, baseline] of [
    ['transfers floor / pgbench tpcb-like', transferFloor, transfer, pgbench.tpcb?.tps],
    ['balance floor / pgbench select-only', balanceFloor, balance, pgbench.select?.tps],
  ] as const) {
    const measured = measuredRatio(floor?.rps, baseline);
    if (floor === undefined || measured === undefined) continue;
    const share = phase ? `; the service does ${fmt((phase.rps / floor.rps) * 100)} % of it` : '';
    console.log(`  ${'yardstick'.padEnd(12)} ${label.padEnd(44)} ${measured.text}${share}`);
  }
}
