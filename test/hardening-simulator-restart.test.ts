import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json } from './support/http.ts';
import { pressCheckoutButton } from './support/paystack.ts';
import { freePort } from './support/provider-page.ts';
import { startServiceProcess } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';

/** PGlite's start takes seconds, many more on a loaded machine; this test starts the service twice. */
const START_TIMEOUT_MS = 90_000;
const dataDir = mkdtempSync(join(tmpdir(), 'wallet-simulator-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the Paystack simulator across a restart', () => {
  it(
    'still shows a pending deposit’s checkout after the service restarts on the same DATA_DIR, and Pay credits it',
    async () => {
      const env = { DATA_DIR: dataDir };
      const port = await freePort();
      const first = await startServiceProcess({ env, port, readyTimeoutMs: START_TIMEOUT_MS });
      const signedIn = await signInThroughProvider(first.url, 'simulator-restart@example.com');
      const auth = { authorization: `Bearer ${signedIn.access_token}` };
      const started = await fetch(`${first.url}/wallet/deposit`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 250_000 }),
      });
      expect(started.status).toBe(201);
      const { reference, authorization_url: checkoutUrl } = await json(started);
      expect(await first.stop()).toBe(0);

      const second = await startServiceProcess({ env, port, readyTimeoutMs: START_TIMEOUT_MS });
      try {
        const page = await fetch(checkoutUrl);
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).not.toContain('Payment not found');
        expect(html).toContain('2,500');

        const status = await fetch(`${second.url}/wallet/deposit/${reference}/status`, { headers: auth });
        expect(await json(status)).toMatchObject({ reference, status: 'pending' });
        expect(second.output()).not.toMatch(/Paystack verify failed/);

        expect((await pressCheckoutButton(checkoutUrl, 'pay')).status).toBeLessThan(400);
        let balance = 0;
        for (let attempt = 0; attempt < 50 && balance === 0; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const answer = await fetch(`${second.url}/wallet/balance`, { headers: auth });
          balance = (await json(answer)).balance;
        }
        expect(balance).toBe(250_000);
      } finally {
        await second.stop();
      }
    },
    3 * START_TIMEOUT_MS,
  );
});
