import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MerchantBalance } from './merchant-balance.ts';
import { type SavedRecipient, SimulatedRecipients } from './recipients.ts';
import { type SavedTransactions, SimulatedTransactions } from './transactions.ts';
import { type SavedTransfer, SimulatedTransfers } from './transfers.ts';

/** A state file larger than this was not written by the simulator: it is ignored, not read. */
const MAX_STATE_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The state file's shape. Version 1 (before transfers) had `transactions` and `customers` only;
 * it is still read, with no recipients or transfers and the initial balance.
 */
interface SavedState extends SavedTransactions {
  version: 2;
  recipients: SavedRecipient[];
  transfers: SavedTransfer[];
  merchantBalanceKobo: number;
}

type LoadedState = SavedTransactions & Partial<Omit<SavedState, 'version'>>;

/** The file's content when it is one the simulator wrote (version 1 or 2); `undefined` otherwise. */
function readState(stateFile: string): LoadedState | undefined {
  let state: Partial<Record<keyof SavedState, unknown>> | null;
  try {
    if (statSync(stateFile).size > MAX_STATE_FILE_BYTES) return undefined;
    state = JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(state?.transactions) || !Array.isArray(state.customers)) return undefined;
  if (state.version === 1) return { transactions: state.transactions, customers: state.customers };
  if (state.version !== 2 || !Array.isArray(state.recipients) || !Array.isArray(state.transfers)) {
    return undefined;
  }
  return state as unknown as SavedState;
}

/** Writes `state` to a temporary file renamed over `stateFile`: a reader sees the old file or the new one. */
function writeState(stateFile: string, state: SavedState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  // Unique per writer: test apps may share a DATA_DIR; the rename makes each write all or nothing.
  const temporary = `${stateFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, stateFile);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Everything the simulator remembers: transactions and customers, transfer recipients, transfers
 * and the merchant's balance.
 *
 * With `stateFile` it survives restarts (`npm run dev` reloads, a stopped service): it is read
 * from that JSON file at construction and written back after every change, bounded to the newest
 * 1,000 of each kind. A file that is missing, oversized or unreadable starts the simulator empty.
 * The simulator is a development stand-in, so its state stays out of the service's database and
 * its migrations.
 */
export class SimulatorState {
  readonly transactions: SimulatedTransactions;
  readonly recipients: SimulatedRecipients;
  readonly transfers: SimulatedTransfers;
  readonly balance: MerchantBalance;
  private readonly stateFile: string | undefined;

  constructor(stateFile?: string) {
    this.stateFile = stateFile;
    const saved = stateFile === undefined ? undefined : readState(stateFile);
    const save = () => this.save();
    this.transactions = new SimulatedTransactions(
      { transactions: saved?.transactions ?? [], customers: saved?.customers ?? [] },
      save,
    );
    this.recipients = new SimulatedRecipients(saved?.recipients ?? [], save);
    this.transfers = new SimulatedTransfers(saved?.transfers ?? [], save);
    this.balance = new MerchantBalance(saved?.merchantBalanceKobo, save);
  }

  /** Writes the state file; without one, nothing. */
  save(): void {
    // The stores call this after a change, never while they are being built.
    if (this.stateFile === undefined) return;
    writeState(this.stateFile, {
      version: 2,
      ...this.transactions.snapshot(),
      recipients: this.recipients.snapshot(),
      transfers: this.transfers.snapshot(),
      merchantBalanceKobo: this.balance.kobo,
    });
  }
}
