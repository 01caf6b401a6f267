import type { Queryable } from '../db/client.ts';
import { flaggedEvents } from '../db/schema.ts';

/**
 * Records a signed Paystack event this service will not act on, for a person to review
 * (`npm run ops -- flagged`). `reason` says what is wrong, in words.
 */
export async function flagEvent(
  db: Queryable,
  event: { event: string; reference: string | null; reason: string },
): Promise<void> {
  await db
    .insert(flaggedEvents)
    .values({ event: event.event, reference: event.reference, reason: event.reason.slice(0, 1000) });
}
