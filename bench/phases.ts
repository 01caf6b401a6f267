// The load phases, in the order they run: liveness, transfers and balance reads against the
// service, confirmed deposits through webhooks, then the same transfers and reads against the
// bare floor server as a yardstick.
import { randomInt } from 'node:crypto';
import type { AutocannonInstance, AutocannonRequest } from 'autocannon';
import { freePort } from '../harness/free-port.ts';
import { chargeSuccessBody, signedWebhookHeaders } from '../harness/paystack-webhooks.ts';
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

/** Pending deposits made through the API (service → simulator), so the webhook phase confirms real ones. */
async function createPendingDeposits(
  service: ServiceProcess,
  users: readonly BenchUser[],
  count: number,
): Promise<{ references: string[]; phase: PhaseResult }> {
  const references: string[] = [];
  const body = JSON.stringify({ amount: WEBHOOK_DEPOSIT_KOBO });
  const phase = await load(
    service,
    'deposit init (setup)',
    {
      method: 'POST',
      path: '/wallet/deposit',
      setupRequest: (request) => ({
        ...request,
        headers: { 'content-type': 'application/json', 'x-api-key': pickUser(users).apiKey },
        body,
      }),
      onResponse: (status, text) => {
        if (status === 201) references.push((JSON.parse(text) as { reference: string }).reference);
      },
    },
    { amount: count },
  );
  return { references, phase };
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

/** The webhook phase and its setup: enough pending deposits for the phase's whole duration. */
async function webhookPhases(
  service: ServiceProcess,
  users: readonly BenchUser[],
  paystackSecretKey: string,
  transferRps: number,
): Promise<PhaseResult[]> {
  // Credits measured at about a third of the transfer rate (every one posts against the one
  // clearing account), so 0.75 × the transfer rate leaves a margin without spending minutes on
  // setup. If they run out, the phase says so.
  const wanted = Math.min(
    MAX_WEBHOOK_DEPOSITS,
    Math.max(MIN_WEBHOOK_DEPOSITS, Math.ceil(transferRps * DURATION_S * 0.75)),
  );
  console.log(`bench: creating ${wanted} pending deposits through the API`);
  const pending = await createPendingDeposits(service, users, wanted);
  return [pending.phase, await deliverWebhooks(service, pending.references, paystackSecretKey)];
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
    phases.push(...(await webhookPhases(service, users, paystackSecretKey, transferRps)));
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
