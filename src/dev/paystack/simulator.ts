// A local stand-in for Paystack's transaction and transfer APIs and checkout, speaking the shapes
// of Paystack's OpenAPI document and example bodies, so the service's real client, signature
// check and webhook handling run against it over HTTP. Paystack publishes no official sandbox
// server to run offline.
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { answerErrorsAsPaystack } from './api-errors.ts';
import { registerTransactionApi } from './api-routes.ts';
import { registerBankApi } from './bank-routes.ts';
import type { SimulatorBehaviour } from './behaviour.ts';
import { registerCheckout } from './checkout-routes.ts';
import { SimulatorState } from './state.ts';
import { TransferHolds } from './transfer-hold.ts';
import { registerTransferApi } from './transfer-routes.ts';
import { TransferSettlement } from './transfer-settlement.ts';
import { DEFAULT_WEBHOOK_RETRY, type WebhookRetryPolicy, WebhookSender } from './webhook-sender.ts';

export type { SimulatorBehaviour } from './behaviour.ts';
export { INITIAL_MERCHANT_BALANCE_KOBO } from './merchant-balance.ts';

/** How long a queued transfer waits before it settles, unless the options say otherwise. */
export const DEFAULT_TRANSFER_WEBHOOK_DELAY_MS = 1_000;

/** What a test can do to a running simulator besides `behaviour`. */
export interface SimulatorControl {
  /** The merchant's Paystack balance in kobo, from which transfers are paid; settable. */
  merchantBalanceKobo: number;
  /** How many `POST /transfer` requests `behaviour.transferHold` holds open now. */
  readonly heldTransfers: number;
  /** Lets every held `POST /transfer` go on; returns how many there were. */
  releaseHeldTransfers(): number;
}

export interface PaystackSimulatorOptions {
  /** The only key the API accepts, and the webhook signing key, as with Paystack. */
  secretKey: string;
  /** Where events go; a function when it is known only once the receiver listens. */
  webhookUrl: string | (() => string);
  webhookRetry?: WebhookRetryPolicy;
  /** How long after `POST /transfer` a transfer settles and its webhook goes (and again for a reversal). */
  transferWebhookDelayMs?: number;
  /** Where the state is kept across restarts (a JSON file); in memory only when unset. */
  stateFile?: string;
  /** A test hook: the same object, mutated by the test, is read on every API call. */
  behaviour?: SimulatorBehaviour;
  /** A test hook: called once with the simulator's controls. */
  exposeControl?: (control: SimulatorControl) => void;
}

/**
 * The simulator as a Fastify plugin, on a server of its own or under a prefix of the service:
 * state in memory (and in `stateFile` when given), the APIs (`/transaction/…`, `/bank…`,
 * `/transferrecipient`, `/transfer…`), the checkout page (`/checkout/…`) and webhooks retried
 * until the receiver answers 200. Transfers left pending by a restart settle after it. Closing
 * the server ends held requests and stops settlements and deliveries.
 */
export const paystackSimulator: FastifyPluginAsync<PaystackSimulatorOptions> = async (app, options) => {
  const { webhookUrl, secretKey } = options;
  const behaviour = options.behaviour ?? { api: 'normal', slowMs: 0 };
  const state = new SimulatorState(options.stateFile);
  const webhooks = new WebhookSender({
    secretKey,
    url: typeof webhookUrl === 'string' ? () => webhookUrl : webhookUrl,
    retry: options.webhookRetry ?? DEFAULT_WEBHOOK_RETRY,
    log: app.log,
  });
  const holds = new TransferHolds();
  const settlement = new TransferSettlement({
    transfers: state.transfers,
    balance: state.balance,
    webhooks,
    delayMs: options.transferWebhookDelayMs ?? DEFAULT_TRANSFER_WEBHOOK_DELAY_MS,
    log: app.log,
  });
  app.addHook('preClose', async () => {
    holds.closeAll();
  });
  app.addHook('onClose', async () => {
    settlement.close();
    await webhooks.close();
  });

  await app.register(formbody);
  answerErrorsAsPaystack(app);
  registerTransactionApi(app, { secretKey, transactions: state.transactions, behaviour });
  registerCheckout(app, { transactions: state.transactions, balance: state.balance, webhooks });
  registerBankApi(app, { secretKey, behaviour });
  registerTransferApi(app, { secretKey, state, behaviour, holds, settlement });
  settlement.resume();

  options.exposeControl?.({
    get merchantBalanceKobo() {
      return state.balance.kobo;
    },
    set merchantBalanceKobo(kobo: number) {
      state.balance.kobo = kobo;
    },
    get heldTransfers() {
      return holds.count;
    },
    releaseHeldTransfers: () => holds.release(),
  });
};
