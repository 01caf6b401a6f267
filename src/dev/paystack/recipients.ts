import { randomInt } from 'node:crypto';
import { randomCode } from './transactions.ts';

/** A `nuban` transfer recipient, as `POST /transferrecipient` made it. */
export interface SimulatedRecipient {
  id: number;
  /** `RCP_…` */
  code: string;
  /** The name the merchant gave. */
  name: string;
  accountNumber: string;
  /** The holder's name as the bank resolved it. */
  accountName: string;
  bankCode: string;
  bankName: string;
  createdAt: Date;
}

/** A recipient in the state file: its date as an ISO string. */
export type SavedRecipient = Omit<SimulatedRecipient, 'createdAt'> & { createdAt: string };

/** Recipients kept in memory; past this many the oldest are forgotten. */
const MAX_RECIPIENTS = 10_000;
/** The newest recipients kept in the state file. */
const MAX_SAVED_RECIPIENTS = 1_000;

const accountKey = (bankCode: string, accountNumber: string) => `${bankCode}/${accountNumber}`;

/**
 * The integration's transfer recipients, by code and by account: Paystack returns the existing
 * recipient when the same account is added again (TRANSFERS.md, [S3]). `onChange` persists.
 */
export class SimulatedRecipients {
  private readonly byCode = new Map<string, SimulatedRecipient>();
  private readonly codeByAccount = new Map<string, string>();
  private readonly onChange: () => void;

  constructor(saved: readonly SavedRecipient[], onChange: () => void) {
    this.onChange = onChange;
    for (const recipient of saved) this.keep({ ...recipient, createdAt: new Date(recipient.createdAt) });
  }

  get(code: string): SimulatedRecipient | undefined {
    return this.byCode.get(code);
  }

  /** The recipient already made for this account, if any. */
  find(bankCode: string, accountNumber: string): SimulatedRecipient | undefined {
    const code = this.codeByAccount.get(accountKey(bankCode, accountNumber));
    return code === undefined ? undefined : this.byCode.get(code);
  }

  /** A new recipient, with a new `RCP_` code, for an account `find` knows nothing of. */
  create(input: Omit<SimulatedRecipient, 'id' | 'code' | 'createdAt'>): SimulatedRecipient {
    const recipient: SimulatedRecipient = {
      ...input,
      id: randomInt(10_000_000, 99_999_999),
      code: `RCP_${randomCode(15)}`,
      createdAt: new Date(),
    };
    this.keep(recipient);
    this.onChange();
    return recipient;
  }

  snapshot(): SavedRecipient[] {
    return [...this.byCode.values()]
      .slice(-MAX_SAVED_RECIPIENTS)
      .map((recipient) => ({ ...recipient, createdAt: recipient.createdAt.toISOString() }));
  }

  private keep(recipient: SimulatedRecipient): void {
    if (this.byCode.size >= MAX_RECIPIENTS) {
      const [oldest] = this.byCode.values();
      if (oldest) {
        this.byCode.delete(oldest.code);
        this.codeByAccount.delete(accountKey(oldest.bankCode, oldest.accountNumber));
      }
    }
    this.byCode.set(recipient.code, recipient);
    this.codeByAccount.set(accountKey(recipient.bankCode, recipient.accountNumber), recipient.code);
  }
}
