import { loadConfig, loadDotEnv } from '../config.ts';
import { openDatabase } from '../db/open.ts';
import { checkLedger } from './check.ts';

loadDotEnv();
const database = await openDatabase(loadConfig());
try {
  const report = await checkLedger(database.db);
  const { transactions, walletBalanceSum, clearingBalance, successfulDeposits, inFlightBalance, withdrawn } =
    report.totals;
  console.log(
    `ledger: ${transactions} transactions; wallets hold ${walletBalanceSum} kobo; held for withdrawals ` +
      `${inFlightBalance}; clearing ${clearingBalance}; successful deposits ${successfulDeposits}; withdrawn ${withdrawn}`,
  );
  if (report.ok) {
    console.log('ledger: every invariant holds');
  } else {
    for (const problem of report.problems) console.error(`ledger: BROKEN: ${problem}`);
    process.exitCode = 1;
  }
} finally {
  await database.close();
}
