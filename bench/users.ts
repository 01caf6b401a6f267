// The bench's users, set up through the public API as a client would: signed in through the
// provider page, given an API key, and funded by a deposit confirmed with a signed webhook.
import { randomInt } from 'node:crypto';
import { chargeSuccessBody, signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { requestJson, type SignedInUser, signInThroughProvider } from './client.ts';
import type { ServiceProcess } from './service-process.ts';
import { FUNDING_KOBO, USERS } from './settings.ts';

export interface BenchUser extends SignedInUser {
  apiKey: string;
  /** A saved bank account (the simulator resolves any 10-digit number), for the withdrawals phase. */
  bankAccountId: string;
}

/** Two different users at random: a transfer's sender and recipient. */
export function pickPair(users: readonly BenchUser[]): [BenchUser, BenchUser] {
  const from = randomInt(users.length);
  let to = randomInt(users.length - 1);
  if (to >= from) to++;
  return [users[from] as BenchUser, users[to] as BenchUser];
}

export function pickUser(users: readonly BenchUser[]): BenchUser {
  return users[randomInt(users.length)] as BenchUser;
}

/** Starts a deposit of FUNDING_KOBO with the user's key and confirms it as Paystack would. */
async function fund(service: ServiceProcess, user: BenchUser, paystackSecretKey: string): Promise<void> {
  const deposit = await requestJson<{ reference: string }>(
    `${service.url}/wallet/deposit`,
    { method: 'POST', headers: { 'x-api-key': user.apiKey }, body: { amount: FUNDING_KOBO } },
    201,
  );
  const body = chargeSuccessBody(deposit.reference, FUNDING_KOBO);
  const webhook = await fetch(`${service.url}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: signedWebhookHeaders(body, paystackSecretKey),
    body,
    signal: AbortSignal.timeout(15_000),
  });
  if (webhook.status !== 200) throw new Error(`funding webhook: ${webhook.status}: ${await webhook.text()}`);
}

/** USERS users, each signed in, holding an API key with every permission, and funded. */
export async function createUsers(service: ServiceProcess, paystackSecretKey: string): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < USERS; i++) {
    const signedIn = await signInThroughProvider(service.url, `bench-user-${i}@example.com`);
    const key = await requestJson<{ api_key: string }>(
      `${service.url}/keys/create`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${signedIn.accessToken}` },
        body: { name: 'bench', permissions: ['deposit', 'transfer', 'read', 'withdraw'], expiry: '1D' },
      },
      201,
    );
    const account = await requestJson<{ id: string }>(
      `${service.url}/wallet/bank-accounts`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${signedIn.accessToken}` },
        body: { bank_code: '058', account_number: String(1_000_000_000 + i) },
      },
      201,
    );
    const user: BenchUser = { ...signedIn, apiKey: key.api_key, bankAccountId: account.id };
    await fund(service, user, paystackSecretKey);
    users.push(user);
  }
  const balance = await requestJson<{ balance: number }>(
    `${service.url}/wallet/balance`,
    { headers: { 'x-api-key': (users[0] as BenchUser).apiKey } },
    200,
  );
  if (balance.balance !== FUNDING_KOBO) throw new Error(`funding did not arrive: balance ${balance.balance}`);
  return users;
}
