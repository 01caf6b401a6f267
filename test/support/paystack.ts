import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { paystackSimulator, type SimulatorBehaviour } from '../../src/dev/paystack/simulator.ts';
import type { WebhookRetryPolicy } from '../../src/dev/paystack/webhook-sender.ts';

export interface TestPaystack {
  /** The simulator's API base, for PAYSTACK_BASE_URL. */
  url: string;
  secretKey: string;
  /** Mutate to make the API slow, down or malformed; `reset()` restores it. */
  behaviour: SimulatorBehaviour;
  /** Where Pay sends `charge.success`; set it once the receiving service listens. */
  webhookUrl: string;
  /** Every request the simulator has received, as `METHOD /path`, oldest first. */
  received: string[];
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

/** The Paystack simulator on a server of its own, as Paystack stands apart from the service. */
export async function startTestPaystack(
  options: { secretKey?: string; webhookRetry?: WebhookRetryPolicy } = {},
): Promise<TestPaystack> {
  const secretKey = options.secretKey ?? testSecretKey();
  const behaviour: SimulatorBehaviour = { api: 'normal', slowMs: 0 };
  const server = Fastify();
  const paystack: TestPaystack = {
    url: '',
    secretKey,
    behaviour,
    webhookUrl: 'http://127.0.0.1:9/unset',
    received: [],
    reset() {
      behaviour.api = 'normal';
      behaviour.slowMs = 0;
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
    behaviour,
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
