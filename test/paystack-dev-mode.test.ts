import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.ts';
import { json } from './support/http.ts';
import { pressCheckoutButton } from './support/paystack.ts';
import { waitFor } from './support/wait.ts';

/** Without PAYSTACK_SECRET_KEY, as `npm start` with no configuration: the simulator runs in-process. */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('the in-process Paystack simulator', () => {
  it('serves checkout under /dev/paystack and credits the wallet through its own signed webhook', async () => {
    const user = await t.createUser();
    const started = await fetch(`${t.url}/wallet/deposit`, {
      method: 'POST',
      headers: { ...user.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 123_400 }),
    });
    expect(started.status).toBe(201);
    const { reference, authorization_url } = await json(started);
    const port = new URL(t.url).port;
    expect(authorization_url).toMatch(
      new RegExp(`^http://localhost:${port}/dev/paystack/checkout/[a-z0-9]{15}$`),
    );

    expect((await pressCheckoutButton(authorization_url, 'pay')).status).toBe(200);
    let status = 'pending';
    await waitFor(async () => {
      const response = await fetch(`${t.url}/wallet/deposit/${reference}/status`, { headers: user.auth });
      status = (await json(response)).status;
      return status !== 'pending';
    });
    expect(status).toBe('success');
    const balance = await json(await fetch(`${t.url}/wallet/balance`, { headers: user.auth }));
    expect(balance.balance).toBe(123_400);
  });

  it('keeps the simulator out of the API documentation', async () => {
    const document = await json(await fetch(`${t.url}/openapi.json`));
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/dev/paystack'))).toEqual([]);
    expect(document.paths).toHaveProperty(['/wallet/deposit']);
    expect(document.paths).toHaveProperty(['/wallet/paystack/webhook']);
    expect(document.paths).toHaveProperty(['/wallet/deposit/{reference}/status']);
  });
});
