import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { pressCheckoutButton } from './support/paystack.ts';
import { startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';
import { waitFor } from './support/wait.ts';

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

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-process-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the service process', { timeout: timeoutForStarts(2) }, () => {
  it('starts with no configuration on the embedded database, keeps it across restarts, deposits and withdraws on its simulator, and stops on SIGTERM', async () => {
    const env = { DATA_DIR: dataDir };
    const port = await freePort();
    const first = await startServiceProcess({ env, port });
    expect(first.output()).toMatch(/NOT GOOGLE/);
    const signedIn = await signInThroughProvider(first.url, 'restart@example.com');
    expect(await first.stop()).toBe(0);

    const second = await startServiceProcess({ env, port });
    const again = await signInThroughProvider(second.url, 'restart@example.com');
    expect(again.user.id).toBe(signedIn.user.id);
    expect(again.wallet.wallet_number).toBe(signedIn.wallet.wallet_number);
    // The generated JWT key lives in DATA_DIR too, so the first token still works.
    const balance = await fetch(`${second.url}/wallet/balance`, {
      headers: { authorization: `Bearer ${signedIn.access_token}` },
    });
    expect(await balance.json()).toEqual({
      balance: 0,
      currency: 'NGN',
      wallet_number: signedIn.wallet.wallet_number,
      frozen: false,
      debt: 0,
    });
    await depositAndWithdraw(second.url, `Bearer ${signedIn.access_token}`);
    expect(await second.stop()).toBe(0);
  });
});
