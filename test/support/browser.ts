import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium only: nothing here may download a browser. */
const CHROMIUM = '/usr/bin/chromium';

/** Whether Debian's Chromium is installed; browser tests are skipped only when it is not. */
export const hasChromium = existsSync(CHROMIUM);

/**
 * Debian's Chromium, headless, as root on a machine with no outside network: without the
 * background-networking flag it keeps trying to reach Google's hosts. `timeoutMs`: how long it
 * may take to start (Playwright's 30 s when not given).
 */
export function launchChromium(options: { timeoutMs?: number } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
