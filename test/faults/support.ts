import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { chargeSuccessBody, signedWebhookHeaders } from '../../harness/paystack-webhooks.ts';
import { issueAccessToken } from '../../src/auth/jwt.ts';
import { signInUser } from '../../src/auth/users.ts';
import { type Database, queryRows } from '../../src/db/client.ts';
import { pairedProviders } from '../support/app.ts';
import { fundWallet } from '../support/ledger.ts';

export const FAULT_JWT_SECRET = 'fault-tests-secret-at-least-32-bytes-long';

/** A service process's environment on the fault tests' database, with the test Paystack as Paystack. */
export function faultServiceEnv(
  databaseUrl: string,
  paystack: { secretKey: string; url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return pairedProviders({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: FAULT_JWT_SECRET,
    NODE_ENV: 'test',
    PAYSTACK_SECRET_KEY: paystack.secretKey,
    PAYSTACK_BASE_URL: paystack.url,
    ...extra,
  });
}

export interface FundedUser {
  id: string;
  walletNumber: string;
  authorization: string;
}

export async function createFundedUsers(db: Database, count: number, balance: number): Promise<FundedUser[]> {
  const users: FundedUser[] = [];
  for (let i = 0; i < count; i++) {
    const user = await signInUser(db, {
      subject: `fault-${i}-${Date.now()}`,
      email: `fault${i}@example.com`,
      name: null,
    });
    await fundWallet(db, user.id, balance);
    const { token } = await issueAccessToken(user.id, new TextEncoder().encode(FAULT_JWT_SECRET), 3600);
    users.push({ id: user.id, walletNumber: user.walletNumber, authorization: `Bearer ${token}` });
  }
  return users;
}

export interface TransferAttempt {
  key: string;
  sender: FundedUser;
  body: { wallet_number: string; amount: number };
  /** HTTP status, or undefined when the connection failed (refused, reset, timed out). */
  status: number | undefined;
  response: Record<string, unknown> | undefined;
  /** The answer carried `Idempotency-Hit: true`: a replay of an earlier, committed request. */
  replayed: boolean;
  elapsedMs: number;
}

export function randomTransfer(users: FundedUser[]): { sender: FundedUser; body: TransferAttempt['body'] } {
  const from = Math.floor(Math.random() * users.length);
  let to = Math.floor(Math.random() * (users.length - 1));
  if (to >= from) to++;
  return {
    sender: users[from] as FundedUser,
    body: {
      wallet_number: (users[to] as FundedUser).walletNumber,
      amount: 1 + Math.floor(Math.random() * 500),
    },
  };
}

const REQUEST_TIMEOUT_MS = 15_000;

export async function sendTransfer(
  baseUrl: string,
  attempt: Pick<TransferAttempt, 'key' | 'sender' | 'body'>,
): Promise<TransferAttempt> {
  const started = performance.now();
  try {
    const response = await fetch(`${baseUrl}/wallet/transfer`, {
      method: 'POST',
      headers: {
        authorization: attempt.sender.authorization,
        'content-type': 'application/json',
        'idempotency-key': attempt.key,
      },
      body: JSON.stringify(attempt.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return {
      ...attempt,
      status: response.status,
      response: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      replayed: response.headers.get('idempotency-hit') === 'true',
      elapsedMs: performance.now() - started,
    };
  } catch {
    return {
      ...attempt,
      status: undefined,
      response: undefined,
      replayed: false,
      elapsedMs: performance.now() - started,
    };
  }
}

/** Runs `workers` loops of keyed random transfers against `baseUrl()` until `until` resolves. */
export async function driveTransfers(
  baseUrl: () => string,
  users: FundedUser[],
  workers: number,
  until: Promise<unknown>,
  keyPrefix: string,
): Promise<TransferAttempt[]> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  // Stop on failure too, so a fault step that throws ends the load instead of running it forever.
  void until.then(stop, stop);
  const attempts: TransferAttempt[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = 0; !stopped; i++) {
        const attempt = await sendTransfer(baseUrl(), {
          key: `${keyPrefix}-${worker}-${i}`,
          ...randomTransfer(users),
        });
        attempts.push(attempt);
        if (attempt.status === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }),
  );
  return attempts;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface WebhookDelivery {
  reference: string;
  status: number | undefined;
}

/** Posts a `charge.success` for the deposit, signed with the Paystack key, as Paystack does. */
export async function deliverChargeSuccess(
  baseUrl: string,
  secretKey: string,
  deposit: { reference: string; amount: number },
): Promise<WebhookDelivery> {
  const body = chargeSuccessBody(deposit.reference, deposit.amount);
  try {
    const response = await fetch(`${baseUrl}/wallet/paystack/webhook`, {
      method: 'POST',
      headers: signedWebhookHeaders(body, secretKey),
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return { reference: deposit.reference, status: response.status };
  } catch {
    return { reference: deposit.reference, status: undefined };
  }
}

/**
 * Exactly once per Idempotency-Key: the ledger holds one transfer for each of `references` (the
 * references the clients were finally answered with, one per key) and no other, and as many keys
 * completed with a 200.
 */
export async function expectOneTransferPerKey(db: Database, references: readonly string[]): Promise<void> {
  const posted = await queryRows<{ reference: string }>(
    db,
    sql`select reference from ledger_transactions where kind = 'transfer'`,
  );
  expect(posted.map((row) => row.reference).sort()).toEqual([...references].sort());
  const [keys] = await queryRows<{ count: number }>(
    db,
    sql`select count(*)::int as count from idempotency_keys where state = 'completed' and response_status = 200`,
  );
  expect(keys?.count).toBe(references.length);
}
