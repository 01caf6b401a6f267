import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { json } from './support/http.ts';
import { pressCheckoutButton } from './support/paystack.ts';
import { startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';
import { waitFor } from './support/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-simulator-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the Paystack simulator across a restart', () => {
  it(
    'still shows a pending deposit’s checkout after the service restarts on the same DATA_DIR, and Pay credits it',
    async () => {
      const env = { DATA_DIR: dataDir };
      const port = await freePort();
      const first = await startServiceProcess({ env, port });
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

      const second = await startServiceProcess({ env, port });
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
        const balance = async () =>
          (await json(await fetch(`${second.url}/wallet/balance`, { headers: auth }))).balance;
        await waitFor(async () => (await balance()) !== 0);
        expect(await balance()).toBe(250_000);
      } finally {
        await second.stop();
      }
    },
    // The service starts twice.
    timeoutForStarts(2),
  );
});
