import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { invariant } from '../../errors.ts';
import type { PaystackAccount } from '../../paystack/setup.ts';
import { PAYSTACK_WEBHOOK_PATH } from '../../routes/paystack-webhook.ts';
import { paystackSimulator } from './simulator.ts';

export const DEV_PAYSTACK_PREFIX = '/dev/paystack';
/** The simulator's state under DATA_DIR, so checkout links and transfers survive a restart. */
export const SIMULATOR_STATE_FILE = 'paystack-simulator.json';
/** How long a transfer stays `pending` in development before it settles and its webhook goes. */
const DEV_TRANSFER_WEBHOOK_DELAY_MS = 1_000;

/**
 * The service's own address as a client can reach it: known only once it listens, which also
 * makes an ephemeral port (PORT=0, tests) work.
 */
function ownUrl(app: FastifyInstance): string {
  const address = app.server.address();
  invariant(
    address !== null && typeof address === 'object',
    'the service listens on TCP before calling itself',
  );
  const wildcardOrLoopback = ['0.0.0.0', '::', '127.0.0.1'].includes(address.address);
  const host = wildcardOrLoopback
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Without PAYSTACK_SECRET_KEY the service serves the Paystack simulator itself and talks to it
 * over HTTP, so the same client, signature check and webhook handling run as with Paystack.
 * Config refuses this in production. Its state is kept in `SIMULATOR_STATE_FILE` under `dataDir`,
 * so a pending deposit's checkout link still works after a restart and a pending transfer settles.
 */
export async function mountPaystackSimulator(
  app: FastifyInstance,
  dataDir: string,
): Promise<PaystackAccount> {
  // Fresh each start: only this process signs and checks with it.
  const secretKey = `sk_test_${randomBytes(24).toString('hex')}`;
  await app.register(paystackSimulator, {
    prefix: DEV_PAYSTACK_PREFIX,
    secretKey,
    webhookUrl: () => `${ownUrl(app)}${PAYSTACK_WEBHOOK_PATH}`,
    stateFile: join(dataDir, SIMULATOR_STATE_FILE),
    // Seconds, not Paystack's minutes: a developer sees a withdrawal settle while watching.
    transferWebhookDelayMs: DEV_TRANSFER_WEBHOOK_DELAY_MS,
  });
  app.addHook('onListen', async () => {
    app.log.warn(
      { simulator: `${ownUrl(app)}${DEV_PAYSTACK_PREFIX}` },
      'PAYMENTS ARE SIMULATED, NOT PAYSTACK: PAYSTACK_SECRET_KEY is unset, so deposits go to the local ' +
        'Paystack simulator, whose checkout page has a Pay button that sends a signed webhook. ' +
        'No real money moves. Never use this in production.',
    );
  });
  return { secretKey, baseUrl: () => `${ownUrl(app)}${DEV_PAYSTACK_PREFIX}` };
}
