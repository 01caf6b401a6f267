// The load phases, in the order they run: liveness, transfers and balance reads against the
// service, confirmed deposits through webhooks, then the same transfers and reads against the
// bare floor server as a yardstick.
import { randomInt } from 'node:crypto';
import type { AutocannonInstance, AutocannonRequest } from 'autocannon';
import pg from 'pg';
import { freePort } from '../harness/free-port.ts';
import { chargeSuccessBody, signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
import { newReference } from '../src/ledger/reference.ts';
import { requestJson } from './client.ts';
import { load, type PhaseResult } from './load.ts';
import { type ServiceProcess, startService } from './service-process.ts';
import {
  BALANCE_FLOOR,
  CONNECTIONS,
  DURATION_S,
  MAX_TRANSFER_KOBO,
  MAX_WEBHOOK_DEPOSITS,
  MIN_WEBHOOK_DEPOSITS,
  PHASES,
  TRANSFER_FLOOR,
  WEBHOOK_DEPOSIT_KOBO,
  WITHDRAWAL_KOBO,
} from './settings.ts';
import { type BenchUser, pickPair, pickUser } from './users.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

/** The transfer and balance requests, sent alike to the service and to the floor server. */
export interface WalletRequests {
  transfer: AutocannonRequest;
  balance: AutocannonRequest;
}

/** Transfers of 1 to MAX_TRANSFER_KOBO kobo between random users, and balance reads, by API key. */
export function walletRequests(users: readonly BenchUser[]): WalletRequests {
  return {
    transfer: {
      method: 'POST',
      path: '/wallet/transfer',
      setupRequest: (request) => {
        const [from, to] = pickPair(users);
        return {
          ...request,
          headers: { 'content-type': 'application/json', 'x-api-key': from.apiKey },
          body: JSON.stringify({ wallet_number: to.walletNumber, amount: 1 + randomInt(MAX_TRANSFER_KOBO) }),
        };
      },
    },
    balance: {
      method: 'GET',
      path: '/wallet/balance',
      setupRequest: (request) => ({ ...request, headers: { 'x-api-key': pickUser(users).apiKey } }),
    },
  };
}

/**
 * Withdrawals of WITHDRAWAL_KOBO to the user's saved account, by API key: the hold, the call to
 * the simulator's `POST /transfer`, and, outside the request, its `transfer.success` webhook. A
 * user with 5 pending (SPEC's cap) gets `409`, counted among the non-2xx.
 */
function withdrawalRequest(users: readonly BenchUser[]): AutocannonRequest {
  return {
    method: 'POST',
    path: '/wallet/withdrawals',
    setupRequest: (request) => {
      const user = pickUser(users);
      return {
        ...request,
        headers: { 'content-type': 'application/json', 'x-api-key': user.apiKey },
        body: JSON.stringify({ bank_account_id: user.bankAccountId, amount: WITHDRAWAL_KOBO }),
      };
    },
  };
}

/**
 * `count` pending deposits of WEBHOOK_DEPOSIT_KOBO for the webhook phase, spread over the users,
 * written straight into the service's database as `POST /wallet/deposit` writes them (the pending
 * row; the simulator's checkout is never used). Through the API a user may have 10 pending
 * deposits at once (SPEC), too few for a phase of thousands of credits; the phase measures the
 * webhook's credits, not this setup.
 */
async function createPendingDeposits(
  walletDbUrl: string,
  users: readonly BenchUser[],
  count: number,
): Promise<string[]> {
  const references = Array.from({ length: count }, () => newReference('dep'));
  const walletNumbers = references.map((_, i) => (users[i % users.length] as BenchUser).walletNumber);
  const client = new pg.Client({ connectionString: walletDbUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(
      `insert into deposits (user_id, reference, amount, status)
       select w.user_id, r.reference, $3, 'pending'
         from unnest($1::text[], $2::text[]) as r (reference, wallet_number)
         join wallets w on w.wallet_number = r.wallet_number`,
      [references, walletNumbers, WEBHOOK_DEPOSIT_KOBO],
    );
  } finally {
    await client.end();
  }
  return references;
}

/**
 * Each reference's `charge.success`, signed ahead of time (so the load generator spends its share
 * of the CPU on sending), delivered once each for up to DURATION_S; named "(ran out)" if they did.
 */
async function deliverWebhooks(
  service: ServiceProcess,
  references: readonly string[],
  paystackSecretKey: string,
): Promise<PhaseResult> {
  const deliveries = references.map((reference) => {
    const body = chargeSuccessBody(reference, WEBHOOK_DEPOSIT_KOBO);
    return { body, headers: signedWebhookHeaders(body, paystackSecretKey) };
  });
  if (deliveries.length === 0) throw new Error('no pending deposits were created');
  let next = 0;
  let instance: AutocannonInstance | undefined;
  let ranOut = false;
  console.log(`bench: ${deliveries.length} signed charge.success webhooks for up to ${DURATION_S} s`);
  const request: AutocannonRequest = {
    method: 'POST',
    path: '/wallet/paystack/webhook',
    setupRequest: (sent) => {
      if (next >= deliveries.length && !ranOut) {
        // autocannon needs some request to send until it stops; the last event again is a
        // redelivery, which the service must acknowledge without crediting twice.
        ranOut = true;
        instance?.stop();
      }
      const delivery = deliveries[Math.min(next, deliveries.length - 1)] as (typeof deliveries)[number];
      next++;
      return { ...sent, headers: delivery.headers, body: delivery.body };
    },
  };
  const phase = await load(service, 'webhooks', request, { durationS: DURATION_S }, (created) => {
    instance = created;
  });
  if (ranOut) {
    phase.name = 'webhooks (ran out)';
    console.log(`bench: the ${deliveries.length} deposits ran out; the last was redelivered until stop`);
  }
  return phase;
}

/** The webhook phase, with enough pending deposits for its whole duration. */
async function webhookPhase(
  service: ServiceProcess,
  walletDbUrl: string,
  users: readonly BenchUser[],
  paystackSecretKey: string,
  transferRps: number,
): Promise<PhaseResult> {
  // Written in one statement, so twice the transfer rate costs little and leaves a margin for a
  // credit rate above it. If they run out, the phase says so.
  const wanted = Math.min(
    MAX_WEBHOOK_DEPOSITS,
    Math.max(MIN_WEBHOOK_DEPOSITS, Math.ceil(transferRps * DURATION_S * 2)),
  );
  console.log(`bench: ${wanted} pending deposits written to the database`);
  const references = await createPendingDeposits(walletDbUrl, users, wanted);
  return deliverWebhooks(service, references, paystackSecretKey);
}

/**
 * The transfers phase again with every user subscribed to a webhook endpoint (a local receiver
 * answering 204): each transfer then writes its two events to the outbox in its statement, and
 * the service's workers fan them out and deliver them meanwhile. Set next to the plain transfers
 * phase, it is what notifications cost.
 */
async function outboxPhase(
  service: ServiceProcess,
  users: readonly BenchUser[],
  requests: WalletRequests,
): Promise<PhaseResult> {
  const receiver = await startWebhookReceiver();
  try {
    for (const user of users) {
      await requestJson(
        `${service.url}/webhooks`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${user.accessToken}` },
          body: { url: receiver.url },
        },
        201,
      );
    }
    console.log(`bench: transfers with webhooks on for ${DURATION_S} s at ${CONNECTIONS} connections`);
    const phase = await load(service, 'transfers (webhooks on)', requests.transfer, {
      durationS: DURATION_S,
    });
    console.log(`bench: the receiver got ${receiver.received()} deliveries during the phase`);
    return phase;
  } finally {
    await receiver.close();
  }
}

/** The phases BENCH_PHASES selects that load the service itself, in order. */
export async function servicePhases(
  service: ServiceProcess,
  walletDbUrl: string,
  users: readonly BenchUser[],
  requests: WalletRequests,
  paystackSecretKey: string,
): Promise<PhaseResult[]> {
  const phases: PhaseResult[] = [];
  const during = `for ${DURATION_S} s at ${CONNECTIONS} connections`;
  if (PHASES.has('liveness')) {
    // No authentication and no database: the ceiling of this HTTP stack on this machine, against
    // which the other phases' cost per request can be read.
    console.log(`bench: GET /healthz ${during}`);
    phases.push(
      await load(service, 'liveness', { method: 'GET', path: '/healthz' }, { durationS: DURATION_S }),
    );
  }
  if (PHASES.has('transfers')) {
    console.log(`bench: transfers ${during}`);
    phases.push(await load(service, 'transfers', requests.transfer, { durationS: DURATION_S }));
  }
  if (PHASES.has('balance')) {
    console.log(`bench: balance reads ${during}`);
    phases.push(await load(service, 'balance', requests.balance, { durationS: DURATION_S }));
  }
  if (PHASES.has('webhooks')) {
    const transferRps = phases.find((p) => p.name === 'transfers')?.rps ?? 1_000;
    phases.push(await webhookPhase(service, walletDbUrl, users, paystackSecretKey, transferRps));
  }
  if (PHASES.has('outbox')) phases.push(await outboxPhase(service, users, requests));
  if (PHASES.has('withdrawals')) {
    console.log(`bench: withdrawals ${during}`);
    phases.push(await load(service, 'withdrawals', withdrawalRequest(users), { durationS: DURATION_S }));
  }
  return phases;
}

/** The same transfers and balance reads against `bench/floor-server.ts` on the service's database. */
export async function floorPhases(walletDbUrl: string, requests: WalletRequests): Promise<PhaseResult[]> {
  const floor = await startService({
    port: await freePort(),
    env: { DATABASE_URL: walletDbUrl },
    extraNodeFlags: [],
    script: ['bench/floor-server.ts'],
  });
  const phases: PhaseResult[] = [];
  try {
    for (const [name, request] of [
      [TRANSFER_FLOOR, requests.transfer],
      [BALANCE_FLOOR, requests.balance],
    ] as const) {
      console.log(`bench: ${name} for ${DURATION_S} s at ${CONNECTIONS} connections`);
      phases.push(await load(floor, name, request, { durationS: DURATION_S }));
    }
  } finally {
    await floor.stop();
  }
  return phases;
}
