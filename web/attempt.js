// One money-moving request at a time, reviewed before it is sent (a payment, a withdrawal), and
// its Idempotency-Key, which lives until the service answers definitely (docs/DESIGN.md, "Paying
// once, whatever the network does").
import { useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey, outcomeUnknown } from './api.js';

/**
 * @template Details
 * @typedef {Details & { key: string }} Attempt
 */

/**
 * @template Details, Result
 * @typedef {{ result: Result } | { refusal: import('./api.js').Problem } | undefined} Sent
 * `result`: the service did it; `refusal`: it definitely did not (a 4xx the view explains);
 * `undefined`: nothing was sent (already sending), or the outcome is unknown (see `unknown`).
 */

/**
 * The reviewed request and its sending. `review(details)` shows it for confirmation with a new
 * key, or with the open attempt's key when `same` says it is that attempt again. `send(request)`
 * sends it once however often it is clicked; after a lost answer or a server error it keeps the
 * attempt open (`unknown` says why), so sending again, or reviewing the same details again, reuses
 * the key and the service does it at most once. A definite answer closes the attempt.
 * @template Details
 * @param {(open: Details, next: Details) => boolean} same
 */
export function useAttempt(same) {
  const [reviewed, setReviewed] = useState(/** @type {Attempt<Details> | null} */ (null));
  const [busy, setBusy] = useState(false);
  // Set when the last try of the reviewed attempt got no definite answer: it may have taken effect.
  const [unknown, setUnknown] = useState(/** @type {string | null} */ (null));
  // The attempt whose outcome is unknown, kept when the person goes back to the form.
  const open = useRef(/** @type {Attempt<Details> | null} */ (null));
  // Set at once on the first click, before the re-render that disables the button.
  const sending = useRef(false);

  return {
    reviewed,
    busy,
    unknown,
    /** @param {Details} details */
    review(details) {
      const current = open.current;
      setReviewed(
        current !== null && same(current, details) ? current : { ...details, key: newIdempotencyKey() },
      );
    },
    /** Back to the form; the open attempt, if any, stays open. */
    back() {
      setReviewed(null);
      setUnknown(null);
    },
    /**
     * @template Result
     * @param {(attempt: Attempt<Details>) => Promise<Result>} request
     * @returns {Promise<Sent<Details, Result>>}
     */
    async send(request) {
      if (reviewed === null || sending.current) return undefined;
      sending.current = true;
      setBusy(true);
      try {
        const result = await request(reviewed);
        open.current = null;
        setUnknown(null);
        setReviewed(null);
        return { result };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (outcomeUnknown(error.problem)) {
          open.current = reviewed;
          setUnknown(error.problem.detail);
          return undefined;
        }
        open.current = null;
        setUnknown(null);
        setReviewed(null);
        return { refusal: error.problem };
      } finally {
        sending.current = false;
        setBusy(false);
      }
    },
  };
}
