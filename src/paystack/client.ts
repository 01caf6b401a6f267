import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { invariant } from '../errors.ts';
import { listBanks, type PaystackBank, type ResolvedAccount, resolveAccount } from './banks.ts';
import { callPaystack, DEFAULT_PAYSTACK_TIMEOUT_MS, type PaystackConnection, PaystackError } from './http.ts';
import {
  createTransferRecipient,
  type InitiatedTransfer,
  initiateTransfer,
  type VerifiedTransfer,
  verifyTransfer,
} from './transfers.ts';

export type { PaystackBank, ResolvedAccount } from './banks.ts';
export {
  DEFAULT_PAYSTACK_TIMEOUT_MS,
  PaystackError,
  type PaystackErrorDetails,
  type PaystackFailure,
} from './http.ts';
export {
  type InitiatedTransfer,
  isDuplicateTransferReference,
  isTransferReference,
  TRANSFER_STATUSES,
  type TransferStatus,
  type VerifiedTransfer,
} from './transfers.ts';

export interface PaystackClientOptions {
  secretKey: string;
  /**
   * The API base, e.g. `https://api.paystack.co`. A function when it is known only once the
   * service listens: the in-process simulator is reached through the service's own address.
   */
  baseUrl: string | (() => string);
  /** The longest a call may take, body included. */
  timeoutMs?: number;
}

export const TRANSACTION_STATUSES = [
  'success',
  'failed',
  'abandoned',
  'ongoing',
  'pending',
  'processing',
  'queued',
  'reversed',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

const InitializeResponse = Type.Object({
  status: Type.Literal(true),
  message: Type.String(),
  data: Type.Object({
    authorization_url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048 }),
    access_code: Type.String({ minLength: 1, maxLength: 256 }),
    reference: Type.String({ minLength: 1 }),
  }),
});

const VerifyResponse = Type.Object({
  status: Type.Literal(true),
  message: Type.String(),
  data: Type.Object({
    id: Type.Integer(),
    status: Type.Union(TRANSACTION_STATUSES.map((status) => Type.Literal(status))),
    reference: Type.String(),
    // Beyond 2^53 a JSON number has already lost kobo by the time it is parsed.
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    currency: Type.String(),
    paid_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    customer: Type.Object({ email: Type.String() }),
    metadata: Type.Optional(Type.Unknown()),
  }),
});

const initializeResponse = Compile(InitializeResponse);
const verifyResponse = Compile(VerifyResponse);

export interface InitializeTransactionInput {
  email: string;
  /** Kobo. */
  amount: bigint;
  reference: string;
  currency: 'NGN';
  callbackUrl?: string | undefined;
  metadata: Readonly<Record<string, string>>;
}

export interface InitializedTransaction {
  authorizationUrl: string;
  accessCode: string;
  reference: string;
}

export interface VerifiedTransaction {
  id: number;
  status: TransactionStatus;
  reference: string;
  /** Kobo. */
  amount: bigint;
  currency: string;
  paidAt: string | null;
  customerEmail: string;
  /** Paystack returns what was sent, but also `""` or `0` when nothing was: only an object counts. */
  metadata: Readonly<Record<string, unknown>> | undefined;
}

/** `metadata` as Paystack returns it: an object, a JSON string of one, or a placeholder. */
export function parseMetadata(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (typeof value === 'string') {
    try {
      return parseMetadata(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return value as Record<string, unknown>;
  }
  return undefined;
}

/**
 * Paystack's API as this service uses it: transactions (deposits) here, banks and transfers
 * (withdrawals) in `banks.ts` and `transfers.ts`. Every call carries the secret key, ends within the timeout, and either
 * returns a checked, typed answer or throws `PaystackError` (`http.ts`).
 */
export class PaystackClient {
  private readonly connection: PaystackConnection;

  constructor(options: PaystackClientOptions) {
    const { baseUrl } = options;
    this.connection = {
      secretKey: options.secretKey,
      baseUrl: typeof baseUrl === 'string' ? () => baseUrl : baseUrl,
      timeoutMs: options.timeoutMs ?? DEFAULT_PAYSTACK_TIMEOUT_MS,
    };
  }

  /**
   * `POST /transaction/initialize`: a checkout for `input.amount` kobo under our reference.
   * Throws `PaystackError` (`refused` "Duplicate Transaction Reference" for a reused reference).
   */
  async initializeTransaction(input: InitializeTransactionInput): Promise<InitializedTransaction> {
    invariant(
      input.amount > 0n && input.amount <= BigInt(Number.MAX_SAFE_INTEGER),
      'an initialized amount is a positive JSON-safe integer',
    );
    const body = await callPaystack(
      this.connection,
      {
        method: 'POST',
        path: '/transaction/initialize',
        what: 'initialize',
        body: {
          email: input.email,
          amount: Number(input.amount),
          reference: input.reference,
          currency: input.currency,
          ...(input.callbackUrl === undefined ? {} : { callback_url: input.callbackUrl }),
          metadata: input.metadata,
        },
      },
      initializeResponse,
    );
    if (body.data.reference !== input.reference) {
      throw new PaystackError(
        'malformed_response',
        `Paystack initialized reference ${body.data.reference} instead of ${input.reference}`,
      );
    }
    return {
      authorizationUrl: body.data.authorization_url,
      accessCode: body.data.access_code,
      reference: body.data.reference,
    };
  }

  /** `GET /transaction/verify/{reference}`; an unknown reference is `refused` (400 or 404). */
  async verifyTransaction(reference: string): Promise<VerifiedTransaction> {
    const { data } = await callPaystack(
      this.connection,
      { method: 'GET', path: `/transaction/verify/${encodeURIComponent(reference)}`, what: 'verify' },
      verifyResponse,
    );
    if (data.reference !== reference) {
      throw new PaystackError(
        'malformed_response',
        `Paystack verified reference ${data.reference} instead of ${reference}`,
      );
    }
    return {
      id: data.id,
      status: data.status,
      reference: data.reference,
      amount: BigInt(data.amount),
      currency: data.currency,
      paidAt: data.paid_at ?? null,
      customerEmail: data.customer.email,
      metadata: parseMetadata(data.metadata),
    };
  }

  /** NGN banks that take transfers, sorted by name: see `listBanks` in `banks.ts`. */
  listBanks(): Promise<PaystackBank[]> {
    return listBanks(this.connection);
  }

  /** The account's holder, `undefined` when Paystack cannot resolve it: see `resolveAccount` in `banks.ts`. */
  resolveAccount(input: { accountNumber: string; bankCode: string }): Promise<ResolvedAccount | undefined> {
    return resolveAccount(this.connection, input);
  }

  /** The `RCP_…` code paying this account, made or reused: see `createTransferRecipient` in `transfers.ts`. */
  createTransferRecipient(input: {
    name: string;
    accountNumber: string;
    bankCode: string;
  }): Promise<{ recipientCode: string }> {
    return createTransferRecipient(this.connection, input);
  }

  /** Pays `amount` kobo out under `reference`: see `initiateTransfer` in `transfers.ts`. */
  initiateTransfer(input: {
    amount: bigint;
    recipientCode: string;
    reference: string;
    reason: string;
  }): Promise<InitiatedTransfer> {
    return initiateTransfer(this.connection, input);
  }

  /** The transfer's state, `undefined` when Paystack has none: see `verifyTransfer` in `transfers.ts`. */
  verifyTransfer(reference: string): Promise<VerifiedTransfer | undefined> {
    return verifyTransfer(this.connection, reference);
  }
}
