// What Paystack sends the service: a signed `charge.success`, built the way the bench and the
// fault tests deliver one without pressing Pay on the simulator.
import { signWebhookBody } from '../src/paystack/signature.ts';

/** A `charge.success` event as Paystack sends it, with the fields the service reads. */
export function chargeSuccessBody(reference: string, amountKobo: number): string {
  return JSON.stringify({
    event: 'charge.success',
    data: {
      reference,
      amount: amountKobo,
      currency: 'NGN',
      status: 'success',
      gateway_response: 'Successful',
      channel: 'card',
      paid_at: new Date().toISOString(),
    },
  });
}

/** The headers Paystack sends with `body`: its content type and the HMAC-SHA512 signature under `secretKey`. */
export function signedWebhookHeaders(body: string, secretKey: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-paystack-signature': signWebhookBody(body, secretKey) };
}
