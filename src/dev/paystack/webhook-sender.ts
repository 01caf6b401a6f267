import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { signWebhookBody } from '../../paystack/signature.ts';

export interface WebhookRetryPolicy {
  /** Deliveries stop after this many attempts without a 200. */
  maxAttempts: number;
  /** The wait after the first failure; each later wait doubles. */
  initialDelayMs: number;
  /** How long one attempt may take before it counts as failed (Paystack allows 30 s). */
  attemptTimeoutMs: number;
}

/**
 * Paystack retries for up to 72 hours; a local stand-in retries on the same principle but in
 * seconds (1, 2, 4, 8, 16, 32), so a service restarted during development still gets the event.
 */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = {
  maxAttempts: 7,
  initialDelayMs: 1_000,
  attemptTimeoutMs: 10_000,
};

interface WebhookSenderOptions {
  secretKey: string;
  url: () => string;
  retry: WebhookRetryPolicy;
  log: FastifyBaseLogger;
}

/**
 * Sends signed events the way Paystack does: a JSON POST with `x-paystack-signature`, repeated
 * with exponential back-off until the receiver answers 200. Its timers never keep the process
 * alive, and `close()` stops every delivery, waiting or in flight.
 */
export class WebhookSender {
  private readonly stopped = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();

  private readonly options: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.options = options;
  }

  /** Starts delivering `event` in the background. */
  send(event: { event: string; data: { reference: string } & Record<string, unknown> }): void {
    const delivery = this.deliver(JSON.stringify(event), event.event, event.data.reference);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  /** Stops retrying and aborts requests in flight; resolves once every delivery has ended. */
  async close(): Promise<void> {
    this.stopped.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(body: string, event: string, reference: string): Promise<void> {
    const { retry, log } = this.options;
    const signature = signWebhookBody(body, this.options.secretKey);
    for (let attempt = 1; attempt <= retry.maxAttempts && !this.stopped.signal.aborted; attempt++) {
      const context = { event, reference, attempt };
      try {
        const response = await fetch(this.options.url(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-paystack-signature': signature },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([this.stopped.signal, AbortSignal.timeout(retry.attemptTimeoutMs)]),
        });
        await response.body?.cancel();
        if (response.status === 200) {
          log.info(context, 'Paystack simulator: webhook delivered');
          return;
        }
        log.warn({ ...context, status: response.status }, 'Paystack simulator: webhook refused');
      } catch (error) {
        if (this.stopped.signal.aborted) return;
        log.warn({ ...context, err: error }, 'Paystack simulator: webhook delivery failed');
      }
      if (attempt === retry.maxAttempts) break;
      try {
        await sleep(retry.initialDelayMs * 2 ** (attempt - 1), undefined, {
          signal: this.stopped.signal,
          ref: false,
        });
      } catch {
        return;
      }
    }
    if (!this.stopped.signal.aborted) {
      log.error({ event, reference, attempts: retry.maxAttempts }, 'Paystack simulator: webhook given up');
    }
  }
}
