import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/free-port.ts';
import { startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-process-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the service process', { timeout: timeoutForStarts(2) }, () => {
  it('starts with no configuration on the embedded database, keeps it across restarts, and stops on SIGTERM', async () => {
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
    expect(await second.stop()).toBe(0);
  });
});
