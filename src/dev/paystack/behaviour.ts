import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';

/** How the API endpoints answer; tests change it between requests to play an unhealthy Paystack. */
export interface SimulatorBehaviour {
  /**
   * `normal`; `down`: 503 with an HTML error page, as from a failing edge proxy; `slow`: the
   * normal answer after `slowMs`; `malformed`: 200 JSON that is not Paystack's shape; `not_json`:
   * 200 with an HTML body.
   */
  api: 'normal' | 'down' | 'slow' | 'malformed' | 'not_json';
  slowMs: number;
}

/** Applies the test behaviour; returns true when it has answered in place of the endpoint. */
export async function misbehave(behaviour: SimulatorBehaviour, reply: FastifyReply): Promise<boolean> {
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
      reply.send({ status: true, message: 'Authorization URL created', data: { authorization_url: 42 } });
      return true;
    case 'not_json':
      reply.type('text/html').send('<html><body>Welcome to nginx!</body></html>');
      return true;
  }
}
