import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';

/**
 * How the API endpoints answer; tests change it between requests to play an unhealthy Paystack.
 * The transfer controls are optional so that a behaviour written before them still type-checks.
 */
export interface SimulatorBehaviour {
  /**
   * `normal`; `down`: 503 with an HTML error page, as from a failing edge proxy; `slow`: the
   * normal answer after `slowMs`; `malformed`: 200 JSON that is not Paystack's shape; `not_json`:
   * 200 with an HTML body.
   */
  api: 'normal' | 'down' | 'slow' | 'malformed' | 'not_json';
  slowMs: number;
  /**
   * `POST /transfer` answers "Transfer requires OTP to continue" with `data.status: "otp"`, as
   * Paystack does while "Confirm transfers before sending" is on; no balance moves, no webhook.
   */
  transferOtp?: boolean;
  /**
   * Holds `POST /transfer` open, unanswered, until `SimulatorControl.releaseHeldTransfers()` or
   * until the caller's connection closes: `before_create` before anything is checked or created,
   * `after_create` once the transfer exists and its amount and fee have left the balance.
   */
  transferHold?: 'none' | 'before_create' | 'after_create';
  /** The most banks one `GET /bank` page holds, whatever `perPage` asks: makes a client page. */
  bankPageLimit?: number;
}

/** `malformed`'s default answer: 200 JSON of `/transaction/initialize`'s envelope with a wrong field. */
const MALFORMED_INITIALIZE = {
  status: true,
  message: 'Authorization URL created',
  data: { authorization_url: 42 },
};

/**
 * Applies the test behaviour; returns true when it has answered in place of the endpoint.
 * `malformedBody` is the `malformed` answer: 200 JSON not of the endpoint's documented shape.
 */
export async function misbehave(
  behaviour: SimulatorBehaviour,
  reply: FastifyReply,
  malformedBody: unknown = MALFORMED_INITIALIZE,
): Promise<boolean> {
  switch (behaviour.api) {
    case 'normal':
      return false;
    case 'slow':
      await sleep(behaviour.slowMs, undefined, { ref: false });
      return false;
    case 'down':
      reply.code(503).type('text/html').send('<html><body><h1>503 Service Unavailable</h1></body></html>');
      return true;
    case 'malformed':
      reply.send(malformedBody);
      return true;
    case 'not_json':
      reply.type('text/html').send('<html><body>Welcome to nginx!</body></html>');
      return true;
  }
}
