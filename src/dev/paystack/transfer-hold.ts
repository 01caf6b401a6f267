import type { FastifyReply } from 'fastify';

/** How a held request ended: let go by the test, or its caller went away (or the simulator closed). */
export type HoldOutcome = 'released' | 'closed';

/**
 * `POST /transfer` requests held open by `behaviour.transferHold`, so that a test can act (kill
 * the service, say) while the service's call is in flight, then let them go on.
 */
export class TransferHolds {
  private readonly waiting = new Set<(outcome: HoldOutcome) => void>();

  /** How many requests are held now. */
  get count(): number {
    return this.waiting.size;
  }

  /**
   * Holds the request `reply` answers until `release()`, or until its connection closes or
   * `closeAll()` runs: `closed` then, and nobody is left to answer.
   */
  hold(reply: FastifyReply): Promise<HoldOutcome> {
    return new Promise((resolve) => {
      const end = (outcome: HoldOutcome) => {
        this.waiting.delete(end);
        reply.raw.off('close', onClose);
        resolve(outcome);
      };
      const onClose = () => end('closed');
      // The response's `close` is the connection's when no answer has been sent yet.
      reply.raw.once('close', onClose);
      this.waiting.add(end);
    });
  }

  /** Lets every held request go on; returns how many there were. */
  release(): number {
    return this.end('released');
  }

  /** Ends every hold as `closed`: the server is shutting down and must not wait for them. */
  closeAll(): number {
    return this.end('closed');
  }

  private end(outcome: HoldOutcome): number {
    const waiting = [...this.waiting];
    for (const end of waiting) end(outcome);
    return waiting.length;
  }
}
