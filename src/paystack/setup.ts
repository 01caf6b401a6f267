import { PaystackClient, type PaystackClientOptions } from './client.ts';

/**
 * Which Paystack the service talks to: Paystack itself from the configuration, or a stand-in the
 * composition root mounted (then `baseUrl` is a function, known once the service listens).
 */
export type PaystackAccount = Pick<PaystackClientOptions, 'secretKey' | 'baseUrl'>;

export interface PaystackSetup {
  client: PaystackClient;
  /** Paystack signs webhooks with the secret key. */
  secretKey: string;
  callbackUrl: string | undefined;
}

/**
 * The client for `account` and what the deposit and webhook routes need beside it.
 * `callbackUrl`: where checkout sends the payer afterwards (PAYSTACK_CALLBACK_URL), `undefined`
 * for Paystack's dashboard setting; `timeoutMs`: per call, the client's default when `undefined`.
 */
export function setUpPaystack(
  account: PaystackAccount,
  options: { callbackUrl: string | undefined; timeoutMs?: number | undefined },
): PaystackSetup {
  const { secretKey, baseUrl } = account;
  return {
    client: new PaystackClient({ secretKey, baseUrl, timeoutMs: options.timeoutMs }),
    secretKey,
    callbackUrl: options.callbackUrl,
  };
}
