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
 */
export class SimulatedTransactions {
  private readonly byReference = new Map<string, SimulatedTransaction>();
  private readonly referenceByAccessCode = new Map<string, string>();
  private readonly customers = new Map<string, SimulatedCustomer>();

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
  }
}
