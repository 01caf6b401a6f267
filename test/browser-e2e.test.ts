import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { hasChromium, launchChromium } from './support/browser.ts';
import { json } from './support/http.ts';
import { type ServiceProcess, startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { quietPeriod, waitFor } from './support/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-e2e-'));
let service: ServiceProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the whole offline flow in a browser', () => {
  it.skipIf(!hasChromium)(
    'signs in on the dev provider, pays on the simulator’s checkout, and sees the balance rise once',
    async () => {
      // As `npm start` with no configuration: dev sign-in, Paystack simulator, embedded database.
      service = await startServiceProcess({ env: { DATA_DIR: dataDir } });
      expect(service.output()).toMatch(/PAYMENTS ARE SIMULATED/);
      browser = await launchChromium({ timeoutMs: START_TIMEOUT_MS });
      const page = await browser.newPage();

      // Sign in through the provider's page, as a person does.
      await page.goto(`${service.url}/auth/google`);
      await page.getByText('not Google').first().waitFor();
      await page.fill('input[name="email"]', 'e2e@example.com');
      await page.fill('input[name="name"]', 'End To End');
      const [callback] = await Promise.all([
        page.waitForResponse((response) => new URL(response.url()).pathname === '/auth/google/callback'),
        page.click('button[value="sign_in"]'),
      ]);
      expect(callback.status()).toBe(200);
      const signedIn = await callback.json();
      expect(signedIn.user.email).toBe('e2e@example.com');
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${service?.url}${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${signedIn.access_token}`,
            'content-type': 'application/json',
            ...init.headers,
          },
        });
      const balance = async () => (await json(await api('/wallet/balance'))).balance;
      expect(await balance()).toBe(0);

      // A deposit through the API, paid on the simulator's checkout page.
      const paid = await json(await api('/wallet/deposit', { method: 'POST', body: '{"amount": 50000}' }));
      expect(paid.status).toBe('pending');
      await page.goto(paid.authorization_url);
      await page.getByText('SIMULATED PAYSTACK CHECKOUT').waitFor();
      expect(await page.getByTestId('amount').textContent()).toBe('₦500.00');
      await page.click('button[value="pay"]');
      await page.getByText('Payment successful').waitFor();

      await waitFor(async () => (await balance()) !== 0);
      expect(await balance()).toBe(50_000);
      // Exactly once: no second credit turns up, and the history has one deposit.
      await quietPeriod(500);
      expect(await balance()).toBe(50_000);
      const history = await json(await api('/wallet/transactions'));
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ reference: paid.reference, type: 'deposit', amount: 50_000 });
      expect(await json(await api(`/wallet/deposit/${paid.reference}/status`))).toMatchObject({
        status: 'success',
      });

      // Another deposit, declined: it fails and the balance stays.
      const declined = await json(await api('/wallet/deposit', { method: 'POST', body: '{"amount": 7000}' }));
      await page.goto(declined.authorization_url);
      await page.click('button[value="decline"]');
      await page.getByText('Payment declined').waitFor();
      expect(await json(await api(`/wallet/deposit/${declined.reference}/status`))).toEqual({
        reference: declined.reference,
        status: 'failed',
        amount: 7_000,
      });
      expect(await balance()).toBe(50_000);
    },
    // The service and the browser, each a process to start.
    timeoutForStarts(2),
  );
});
