import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type SimulatedStatus = 'abandoned' | 'success' | 'failed';

export interface SimulatedTransaction {
  id: number;
  reference: string;
  accessCode: string;
  /** In the currency's minor unit (kobo), as Paystack counts. */
  amount: number;
  currency: string;
  email: string;
  customer: SimulatedCustomer;
  metadata: unknown;
  callbackUrl: string | undefined;
  status: SimulatedStatus;
  createdAt: Date;
  paidAt: Date | undefined;
  payerIp: string | undefined;
}

export interface SimulatedCustomer {
  id: number;
  code: string;
}

/** Transactions live in memory; past this many the oldest are forgotten. */
const MAX_TRANSACTIONS = 10_000;
/** The newest transactions kept in the state file: enough for any checkout a developer still has open. */
const MAX_SAVED_TRANSACTIONS = 1_000;
/** A state file larger than this was not written by the simulator: it is ignored, not read. */
const MAX_STATE_FILE_BYTES = 4 * 1024 * 1024;

/** The state file's shape: transactions oldest first, dates as ISO strings. */
interface SavedState {
  version: 1;
  transactions: (Omit<SimulatedTransaction, 'createdAt' | 'paidAt'> & {
    createdAt: string;
    paidAt?: string;
  })[];
  customers: [string, SimulatedCustomer][];
}
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random code of lowercase letters and digits: references, access codes, customer codes. */
export function randomCode(length: number): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return code;
}

/**
 * The simulator's state: its transactions, found by reference (the API) or by access code (the
 * checkout page), and one customer per email, as Paystack keeps them per integration.
 *
 * With `stateFile` the state survives restarts (`npm run dev` reloads, a stopped service): it is
 * read from that JSON file at construction and written back after every change, atomically (a
 * temporary file renamed over it) and bounded to the newest `MAX_SAVED_TRANSACTIONS`. A file that
 * is missing, oversized or unreadable starts the simulator empty, as before. The simulator is a
 * development stand-in, so its state stays out of the service's database and its migrations.
 */
export class SimulatedTransactions {
  private readonly byReference = new Map<string, SimulatedTransaction>();
  private readonly referenceByAccessCode = new Map<string, string>();
  private readonly customers = new Map<string, SimulatedCustomer>();

  private readonly stateFile: string | undefined;

  constructor(stateFile?: string) {
    this.stateFile = stateFile;
    if (stateFile !== undefined) this.load(stateFile);
  }

  has(reference: string): boolean {
    return this.byReference.has(reference);
  }

  get(reference: string): SimulatedTransaction | undefined {
    return this.byReference.get(reference);
  }

  /** The transaction a checkout link names, `undefined` when unknown or forgotten. */
  byAccessCode(accessCode: string): SimulatedTransaction | undefined {
    const reference = this.referenceByAccessCode.get(accessCode);
    return reference === undefined ? undefined : this.byReference.get(reference);
  }

  /** The customer paying as `email`, created on first use. */
  customerFor(email: string): SimulatedCustomer {
    let customer = this.customers.get(email);
    if (!customer) {
      customer = { id: 100_000 + this.customers.size, code: `CUS_${randomCode(15)}` };
      this.customers.set(email, customer);
      this.save();
    }
    return customer;
  }

  /** Keeps `transaction`, forgetting the oldest once MAX_TRANSACTIONS are kept. */
  remember(transaction: SimulatedTransaction): void {
    if (this.byReference.size >= MAX_TRANSACTIONS) {
      const [oldest] = this.byReference.values();
      if (oldest) {
        this.byReference.delete(oldest.reference);
        this.referenceByAccessCode.delete(oldest.accessCode);
      }
    }
    this.byReference.set(transaction.reference, transaction);
    this.referenceByAccessCode.set(transaction.accessCode, transaction.reference);
    this.save();
  }

  /** Writes the state file after a kept transaction changed (paid, declined); without one, nothing. */
  save(): void {
    if (this.stateFile === undefined) return;
    const saved = [...this.byReference.values()].slice(-MAX_SAVED_TRANSACTIONS);
    const state: SavedState = {
      version: 1,
      transactions: saved.map((transaction) => ({
        ...transaction,
        createdAt: transaction.createdAt.toISOString(),
        paidAt: transaction.paidAt?.toISOString(),
      })),
      customers: [...this.customers.entries()].slice(-MAX_SAVED_TRANSACTIONS),
    };
    mkdirSync(dirname(this.stateFile), { recursive: true });
    // Unique per writer: test apps may share a DATA_DIR; the rename makes each write all or nothing.
    const temporary = `${this.stateFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
      renameSync(temporary, this.stateFile);
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  private load(stateFile: string): void {
    let state: SavedState;
    try {
      if (statSync(stateFile).size > MAX_STATE_FILE_BYTES) return;
      state = JSON.parse(readFileSync(stateFile, 'utf8')) as SavedState;
    } catch {
      return;
    }
    if (state?.version !== 1 || !Array.isArray(state.transactions) || !Array.isArray(state.customers)) return;
    for (const [email, customer] of state.customers) this.customers.set(email, customer);
    for (const saved of state.transactions.slice(-MAX_SAVED_TRANSACTIONS)) {
      const transaction: SimulatedTransaction = {
        ...saved,
        createdAt: new Date(saved.createdAt),
        paidAt: saved.paidAt === undefined ? undefined : new Date(saved.paidAt),
      };
      this.byReference.set(transaction.reference, transaction);
      this.referenceByAccessCode.set(transaction.accessCode, transaction.reference);
    }
  }
}
