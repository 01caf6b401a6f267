import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { mountPaystackSimulator } from '../dev/paystack/mount.ts';
import { PaystackClient } from './client.ts';

export interface PaystackSetup {
  client: PaystackClient;
  /** Paystack signs webhooks with the secret key. */
  secretKey: string;
  callbackUrl: string | undefined;
}

/** Paystack as configured, or, without a secret key, the simulator mounted in this app. */
export async function setUpPaystack(
  app: FastifyInstance,
  config: Config['paystack'],
  options: { timeoutMs?: number | undefined },
): Promise<PaystackSetup> {
  const { secretKey, baseUrl } =
    config.secretKey === undefined
      ? await mountPaystackSimulator(app)
      : { secretKey: config.secretKey, baseUrl: config.baseUrl };
  return {
    client: new PaystackClient({ secretKey, baseUrl, timeoutMs: options.timeoutMs }),
    secretKey,
    callbackUrl: config.callbackUrl,
  };
}
