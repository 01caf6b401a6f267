import { reportCliFailure } from '../cli-failure.ts';
import { type Config, loadConfig, loadDotEnv } from '../config.ts';
import type { DatabaseHandle } from '../db/client.ts';
import { openDatabase } from '../db/open.ts';
import { checkLedger } from './check.ts';

/**
 * The check reads every ledger entry: 8–13 s at 1 million entries and 151 s at 10 million on a
 * 2-core machine (docs/SCALING.md), past the service's own 10 s statement timeout, so it gets a
 * batch job's bound instead.
 */
const CHECK_STATEMENT_TIMEOUT_MS = 60 * 60_000;

loadDotEnv();
let config: Config | undefined;
let database: DatabaseHandle | undefined;
try {
  config = loadConfig();
  database = await openDatabase(config, { statementTimeoutMs: CHECK_STATEMENT_TIMEOUT_MS });
  const report = await checkLedger(database.db);
  const t = report.totals;
  console.log(
    `ledger: ${t.transactions} transactions; wallets hold ${t.walletBalanceSum} kobo; held for withdrawals ` +
      `${t.inFlightBalance}; wallets owe ${t.debts}; clearing ${t.clearingBalance}; successful deposits ` +
      `${t.successfulDeposits}; withdrawn ${t.withdrawn}; refunded ${t.refunded}`,
  );
  if (report.ok) {
    console.log('ledger: every invariant holds');
  } else {
    for (const problem of report.problems) console.error(`ledger: BROKEN: ${problem}`);
    process.exitCode = 1;
  }
} catch (error) {
  reportCliFailure('ledger:check', error, config);
} finally {
  await database?.close();
}
