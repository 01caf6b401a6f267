// A local stand-in for Paystack's transaction API and checkout, speaking the shapes of Paystack's
// OpenAPI document and example bodies, so the service's real client, signature check and webhook
// handling run against it over HTTP. Paystack publishes no official sandbox server to run offline.
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { answerErrorsAsPaystack } from './api-errors.ts';
import { registerTransactionApi } from './api-routes.ts';
import type { SimulatorBehaviour } from './behaviour.ts';
import { registerCheckout } from './checkout-routes.ts';
import { SimulatedTransactions } from './transactions.ts';
import { DEFAULT_WEBHOOK_RETRY, type WebhookRetryPolicy, WebhookSender } from './webhook-sender.ts';

export type { SimulatorBehaviour } from './behaviour.ts';

export interface PaystackSimulatorOptions {
  /** The only key the API accepts, and the webhook signing key, as with Paystack. */
  secretKey: string;
  /** Where `charge.success` goes; a function when it is known only once the receiver listens. */
  webhookUrl: string | (() => string);
  webhookRetry?: WebhookRetryPolicy;
  /** Where the transactions are kept across restarts (a JSON file); in memory only when unset. */
  stateFile?: string;
  /** A test hook: the same object, mutated by the test, is read on every API call. */
  behaviour?: SimulatorBehaviour;
}

/**
 * The simulator as a Fastify plugin, on a server of its own or under a prefix of the service:
 * transactions in memory (and in `stateFile` when given), the API (`/transaction/…`), the checkout page (`/checkout/…`) and
 * webhooks retried until the receiver answers 200. Closing the server stops the deliveries.
 */
export const paystackSimulator: FastifyPluginAsync<PaystackSimulatorOptions> = async (app, options) => {
  const { webhookUrl } = options;
  const transactions = new SimulatedTransactions(options.stateFile);
  const webhooks = new WebhookSender({
    secretKey: options.secretKey,
    url: typeof webhookUrl === 'string' ? () => webhookUrl : webhookUrl,
    retry: options.webhookRetry ?? DEFAULT_WEBHOOK_RETRY,
    log: app.log,
  });
  app.addHook('onClose', () => webhooks.close());

  await app.register(formbody);
  answerErrorsAsPaystack(app);
  registerTransactionApi(app, {
    secretKey: options.secretKey,
    transactions,
    behaviour: options.behaviour ?? { api: 'normal', slowMs: 0 },
  });
  registerCheckout(app, { transactions, webhooks });
};
