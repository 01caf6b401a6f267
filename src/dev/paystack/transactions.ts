import { randomInt } from 'node:crypto';

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

/** A transaction in the state file: dates as ISO strings. */
export type SavedTransaction = Omit<SimulatedTransaction, 'createdAt' | 'paidAt'> & {
  createdAt: string;
  paidAt?: string;
};

/** The transactions' part of the state file: transactions oldest first, customers by email. */
export interface SavedTransactions {
  transactions: SavedTransaction[];
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
 * The simulator's transactions, found by reference (the API) or by access code (the checkout
 * page), and one customer per email, as Paystack keeps them per integration. `onChange` persists
 * them (`state.ts`), also when a caller has changed a kept transaction and calls `save()`.
 */
export class SimulatedTransactions {
  private readonly byReference = new Map<string, SimulatedTransaction>();
  private readonly referenceByAccessCode = new Map<string, string>();
  private readonly customers = new Map<string, SimulatedCustomer>();

  private readonly onChange: () => void;

  constructor(saved: SavedTransactions, onChange: () => void) {
    this.onChange = onChange;
    for (const [email, customer] of saved.customers) this.customers.set(email, customer);
    for (const transaction of saved.transactions.slice(-MAX_SAVED_TRANSACTIONS)) {
      this.keep({
        ...transaction,
        createdAt: new Date(transaction.createdAt),
        paidAt: transaction.paidAt === undefined ? undefined : new Date(transaction.paidAt),
      });
    }
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
    this.keep(transaction);
    this.save();
  }

  /** Persists the state after a kept transaction changed (paid, declined). */
  save(): void {
    this.onChange();
  }

  /** The part of the state file these transactions fill: the newest MAX_SAVED_TRANSACTIONS. */
  snapshot(): SavedTransactions {
    return {
      transactions: [...this.byReference.values()].slice(-MAX_SAVED_TRANSACTIONS).map((transaction) => ({
        ...transaction,
        createdAt: transaction.createdAt.toISOString(),
        paidAt: transaction.paidAt?.toISOString(),
      })),
      customers: [...this.customers.entries()].slice(-MAX_SAVED_TRANSACTIONS),
    };
  }

  private keep(transaction: SimulatedTransaction): void {
    if (this.byReference.size >= MAX_TRANSACTIONS) {
      const [oldest] = this.byReference.values();
      if (oldest) {
        this.byReference.delete(oldest.reference);
        this.referenceByAccessCode.delete(oldest.accessCode);
      }
    }
    this.byReference.set(transaction.reference, transaction);
    this.referenceByAccessCode.set(transaction.accessCode, transaction.reference);
  }
}
