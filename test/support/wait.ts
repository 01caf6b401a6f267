/** Long enough for a loaded machine; reached only when the awaited event never comes. */
const WAIT_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 10;

/**
 * Resolves as soon as `condition` holds, checking every few milliseconds, for events a test cannot
 * await directly (a webhook credited, a log line written); throws after `timeoutMs` instead of
 * waiting for ever. A test waits on what it expects, not for a fixed time.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * Waits a fixed `ms`: only for checking that something does not happen (a second webhook, a retry
 * after giving up), which no event can announce. Everything that does happen is awaited with waitFor.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
