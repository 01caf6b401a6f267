import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pressCheckoutButton } from './support/paystack.ts';
import { startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';
import { waitFor } from './support/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-try-it-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * What README's "Try it" walks through, on the service's own simulator: a deposit paid on its
 * checkout page, a bank account saved, a withdrawal settled by the simulator's signed webhook.
 */
async function depositAndWithdraw(url: string, authorization: string): Promise<void> {
  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    }));
  const balance = async () => (await send('GET', '/wallet/balance')).body.balance;

  const deposit = await send('POST', '/wallet/deposit', { amount: 500_000 });
  expect(deposit.status).toBe(201);
  expect((await pressCheckoutButton(deposit.body.authorization_url as string, 'pay')).status).toBeLessThan(
    400,
  );
  await waitFor(async () => (await balance()) === 500_000);

  const account = await send('POST', '/wallet/bank-accounts', {
    bank_code: '058',
    account_number: '0123456789',
  });
  expect(account.status).toBe(201);
  const withdrawal = await send('POST', '/wallet/withdrawals', {
    amount: 100_000,
    bank_account_id: account.body.id,
  });
  expect(withdrawal.status).toBe(202);
  expect(await balance()).toBe(500_000 - 101_000);
  await waitFor(
    async () =>
      (await send('GET', `/wallet/withdrawals/${withdrawal.body.reference}`)).body.status === 'success',
  );
  expect(await balance()).toBe(500_000 - 101_000);
}

describe('README’s Try it, on the service with no configuration', { timeout: timeoutForStarts(1) }, () => {
  it('signs in, deposits through the simulator’s checkout and withdraws to a bank account', async () => {
    const service = await startServiceProcess({ env: { DATA_DIR: dataDir } });
    try {
      const signedIn = await signInThroughProvider(service.url, 'try-it@example.com');
      await depositAndWithdraw(service.url, `Bearer ${signedIn.access_token}`);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
