import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { expect } from 'vitest';
import { signedWebhookHeaders } from '../../harness/paystack-webhooks.ts';
import {
  INITIAL_MERCHANT_BALANCE_KOBO,
  paystackSimulator,
  type SimulatorBehaviour,
  type SimulatorControl,
} from '../../src/dev/paystack/simulator.ts';
import type { WebhookRetryPolicy } from '../../src/dev/paystack/webhook-sender.ts';
import { PaystackError } from '../../src/paystack/client.ts';

export interface TestPaystack {
  /** The simulator's API base, for PAYSTACK_BASE_URL. */
  url: string;
  secretKey: string;
  /**
   * Mutate to make the API slow, down or malformed, transfers ask for an OTP (`transferOtp`) or
   * `POST /transfer` wait (`transferHold`), or `GET /bank` page small (`bankPageLimit`);
   * `reset()` restores it.
   */
  behaviour: Required<SimulatorBehaviour>;
  /** Where Pay sends `charge.success`; set it once the receiving service listens. */
  webhookUrl: string;
  /** Every request the simulator has received, as `METHOD /path`, oldest first. */
  received: string[];
  /** The merchant's balance at Paystack in kobo: ₦100m at first; settable; `reset()` restores ₦100m. */
  merchantBalanceKobo: number;
  /** How many `POST /transfer` requests `behaviour.transferHold` holds open now. */
  readonly heldTransfers: number;
  /** Lets every held `POST /transfer` go on; returns how many there were. */
  releaseHeldTransfers(): number;
  /** Restores the behaviour and the merchant's balance and lets held transfers go on. */
  reset(): void;
  close(): Promise<void>;
}

/** Fast retries, so tests of redelivery take milliseconds rather than Paystack's hours. */
export const FAST_WEBHOOK_RETRY: WebhookRetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 20,
  attemptTimeoutMs: 2_000,
};

export function testSecretKey(): string {
  return `sk_test_${randomBytes(20).toString('hex')}`;
}

/** A transfer settles this long after `POST /transfer` in tests: quick, yet after the answer. */
export const TEST_TRANSFER_WEBHOOK_DELAY_MS = 20;

const normalBehaviour = (): Required<SimulatorBehaviour> => ({
  api: 'normal',
  slowMs: 0,
  transferOtp: false,
  transferHold: 'none',
  bankPageLimit: 100,
});

export interface TestPaystackOptions {
  secretKey?: string;
  webhookRetry?: WebhookRetryPolicy;
  /** `TEST_TRANSFER_WEBHOOK_DELAY_MS` unless given. */
  transferWebhookDelayMs?: number;
  /** Where the simulator keeps its state across restarts; in memory only when unset. */
  stateFile?: string;
}

/** The Paystack simulator on a server of its own, as Paystack stands apart from the service. */
export async function startTestPaystack(options: TestPaystackOptions = {}): Promise<TestPaystack> {
  const secretKey = options.secretKey ?? testSecretKey();
  const behaviour = normalBehaviour();
  // Closing drops every connection, as a Paystack going away would: after a call timed out, the
  // client's pool may hold a fresh connection that never sends a request, which a graceful close
  // would wait for until the server's timeouts.
  const server = Fastify({ forceCloseConnections: true });
  let control: SimulatorControl | undefined;
  const controls = (): SimulatorControl => {
    if (control === undefined) throw new Error('the simulator has not started');
    return control;
  };
  const paystack: TestPaystack = {
    url: '',
    secretKey,
    behaviour,
    webhookUrl: 'http://127.0.0.1:9/unset',
    received: [],
    get merchantBalanceKobo() {
      return controls().merchantBalanceKobo;
    },
    set merchantBalanceKobo(kobo: number) {
      controls().merchantBalanceKobo = kobo;
    },
    get heldTransfers() {
      return controls().heldTransfers;
    },
    releaseHeldTransfers: () => controls().releaseHeldTransfers(),
    reset() {
      Object.assign(behaviour, normalBehaviour());
      controls().releaseHeldTransfers();
      controls().merchantBalanceKobo = INITIAL_MERCHANT_BALANCE_KOBO;
    },
    close: () => server.close(),
  };
  // On arrival, before the simulator's behaviour delays or answers it.
  server.addHook('onRequest', async (request) => {
    paystack.received.push(`${request.method} ${request.url}`);
  });
  await server.register(paystackSimulator, {
    secretKey,
    webhookUrl: () => paystack.webhookUrl,
    webhookRetry: options.webhookRetry ?? FAST_WEBHOOK_RETRY,
    transferWebhookDelayMs: options.transferWebhookDelayMs ?? TEST_TRANSFER_WEBHOOK_DELAY_MS,
    ...(options.stateFile === undefined ? {} : { stateFile: options.stateFile }),
    behaviour,
    exposeControl: (exposed) => {
      control = exposed;
    },
  });
  paystack.url = await server.listen({ port: 0, host: '127.0.0.1' });
  return paystack;
}

/** Opens the checkout page and presses Pay or Decline: posts its form to the form's action. */
export async function pressCheckoutButton(
  authorizationUrl: string,
  action: 'pay' | 'decline',
): Promise<Response> {
  const page = await fetch(authorizationUrl);
  const html = await page.text();
  const formAction = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || formAction === undefined) {
    throw new Error(`no checkout form at ${authorizationUrl}: ${page.status} ${html.slice(0, 200)}`);
  }
  if (!html.includes(`name="action" value="${action}"`)) throw new Error(`no ${action} button`);
  return fetch(new URL(formAction, authorizationUrl), {
    method: 'POST',
    body: new URLSearchParams({ action }),
    redirect: 'manual',
  });
}

/**
 * Posts the Paystack event `{event, data}` to the service's webhook at `baseUrl`, signed with
 * `secretKey` as Paystack signs it; for events the simulator does not send (refunds, disputes)
 * and for crafted ones.
 */
export function deliverPaystackEvent(
  baseUrl: string,
  secretKey: string,
  event: string,
  data: Record<string, unknown>,
): Promise<Response> {
  const body = JSON.stringify({ event, data });
  return fetch(`${baseUrl}/wallet/paystack/webhook`, {
    method: 'POST',
    headers: signedWebhookHeaders(body, secretKey),
    body,
  });
}

/** The `PaystackError` a client call rejects with; fails the test when it resolves or rejects otherwise. */
export async function paystackFailure(promise: Promise<unknown>): Promise<PaystackError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PaystackError);
  return error as PaystackError;
}
