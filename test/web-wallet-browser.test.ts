import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { hasChromium, launchChromium } from './support/browser.ts';
import { type ServiceProcess, startServiceProcess, timeoutForStarts } from './support/service-process.ts';

/** Where the screenshots go; CI keeps the folder as an artifact (the README names it). */
const SCREENSHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
const AXE = join(import.meta.dirname, '..', 'node_modules', 'axe-core', 'axe.min.js');
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-web-'));
let service: ServiceProcess | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every request a page makes (navigations, scripts, styles, API calls), to show none leaves the service's origin. */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

/** Signs in on the dev provider's page from the web wallet's button; ends on the wallet view. */
async function signIn(page: Page, origin: string, email: string, name: string): Promise<string> {
  await page.goto(`${origin}/`);
  await page.getByRole('link', { name: 'Sign in with Google' }).click();
  await page.getByText('not Google').first().waitFor();
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="name"]', name);
  await page.click('button[value="sign_in"]');
  await page.getByRole('heading', { name: 'Wallet', level: 1 }).waitFor();
  expect(new URL(page.url()).origin).toBe(origin);
  return (await page.getByTestId('wallet-number').textContent()) as string;
}

/** The balance the wallet view shows once loaded afresh. */
async function balanceShown(page: Page): Promise<string> {
  // A fragment-only change would not reload the page: load it whole.
  await page.goto(`${new URL(page.url()).origin}/#/`);
  await page.reload();
  await page.getByRole('heading', { name: 'Wallet', level: 1 }).waitFor();
  await expect.poll(() => page.getByTestId('balance').textContent()).not.toContain('…');
  return ((await page.getByTestId('balance').textContent()) as string).trim();
}

/**
 * Presses Tab until the focused element's text or label is `name`, as a keyboard user does, and
 * checks that the focus is visible there (an outline). Throws when it is not reached in 40 presses.
 */
/**
 * Waits until the view's heading `name` is shown and has the focus: the page moves the focus there
 * after it renders a new view or stage, and a key pressed before that would land elsewhere.
 */
async function focusedHeading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  // Polled with evaluate: waitForFunction's string is an eval, which the page's CSP refuses.
  const focused = `document.activeElement?.id === 'view-heading' && document.activeElement.textContent.trim() === ${JSON.stringify(name)}`;
  await expect.poll(() => page.evaluate(focused)).toBe(true);
}

async function tabTo(page: Page, name: string): Promise<void> {
  for (let presses = 0; presses < 40; presses++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(
      `(() => { const e = document.activeElement; return e ? [e.textContent.trim(), e.labels?.[0]?.textContent.trim() ?? '', getComputedStyle(e).outlineStyle] : ['', '', 'none']; })()`,
    )) as [string, string, string];
    if (focused[0] === name || focused[1] === name) {
      expect(focused[2], `a visible focus on ${name}`).not.toBe('none');
      return;
    }
  }
  throw new Error(`Tab never reached ${name}`);
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  // Strings, as these run in the page: the test's own TypeScript knows no DOM.
  const violations = (await page.evaluate('axe.run().then((result) => result.violations)')) as AxeViolation[];
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) => `${violation.id}: ${violation.help} at ${JSON.stringify(violation.nodes[0]?.target)}`,
    );
}

/** Scans the page with axe and writes its screenshots at phone and desktop size. */
async function scanAndShoot(page: Page, name: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  expect(await seriousViolations(page), `accessibility of ${name}`).toEqual([]);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  expect(await seriousViolations(page), `accessibility of ${name} on a phone`).toEqual([]);
  // Readable on a phone: nothing wider than the screen.
  expect(
    await page.evaluate('document.documentElement.scrollWidth'),
    `width of ${name} on a phone`,
  ).toBeLessThanOrEqual(PHONE.width);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
}

/**
 * The service (as `npm start` with no configuration: dev sign-in, Paystack simulator, embedded
 * database) and Chromium, started by the first test that needs them and shared by the rest.
 */
async function started(): Promise<{ origin: string; service: ServiceProcess; browser: Browser }> {
  service ??= await startServiceProcess({ env: { DATA_DIR: dataDir } });
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser ??= await launchChromium({ timeoutMs: START_TIMEOUT_MS });
  // The dev sign-in's redirect URI is on localhost: the page's origin, where the cookie lives.
  return { origin: service.url.replace('127.0.0.1', 'localhost'), service, browser };
}

/** A deposit paid on the simulator's checkout page, then the wallet showing the new balance. */
async function depositPaid(page: Page, origin: string, naira: string, balanceAfter: string): Promise<void> {
  await page.goto(`${origin}/#/deposit`);
  await page.getByLabel('Amount in naira').fill(naira);
  await page.getByRole('button', { name: 'Continue to checkout' }).click();
  await page.getByText('SIMULATED PAYSTACK CHECKOUT').waitFor();
  await page.click('button[value="pay"]');
  await page.getByText('Payment successful').waitFor();
  await page.goto(`${origin}/#/`);
  await expect.poll(() => page.getByTestId('balance').textContent(), { timeout: 20_000 }).toBe(balanceAfter);
}

/**
 * Lets the first request matching `url` and `method` reach the service, then drops its answer as
 * a lost connection would (or answers 502 as a proxy would); records the Idempotency-Key of every such request.
 */
async function loseFirstAnswer(
  page: Page,
  url: string,
  method: string,
  how: 'connection reset' | 'bad gateway' = 'connection reset',
): Promise<string[]> {
  const keys: string[] = [];
  await page.route(url, async (route) => {
    const request = route.request();
    if (request.method() !== method) return route.continue();
    keys.push(request.headers()['idempotency-key'] ?? '');
    if (keys.length === 1) {
      await route.fetch();
      if (how === 'bad gateway') return route.fulfill({ status: 502, body: '<h1>Bad gateway</h1>' });
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  return keys;
}

/** The element that has the focus: its id, and its text (or its value's label). */
async function focused(page: Page): Promise<{ id: string; text: string }> {
  return (await page.evaluate(
    `(() => { const e = document.activeElement; return { id: e?.id ?? '', text: (e?.textContent ?? '').trim() }; })()`,
  )) as { id: string; text: string };
}

describe('the web wallet in a browser', () => {
  it.skipIf(!hasChromium)(
    'signs in, deposits, sends (once on a double click, and by keyboard alone), withdraws, manages keys, refuses CSRF, passes axe',
    async () => {
      const { origin, service, browser } = await started();

      const alice = await browser.newContext({ viewport: DESKTOP });
      const bob = await browser.newContext({ viewport: PHONE });
      const page = await alice.newPage();
      const bobPage = await bob.newPage();
      const requests = [page, bobPage].map(recordRequests);

      // Sign in: the session is an HttpOnly, SameSite=Strict cookie; nothing in storage or the URL.
      const aliceWallet = await signIn(page, origin, 'alice@example.com', 'Alice Web');
      const bobWallet = await signIn(bobPage, origin, 'bob@example.com', 'Bob Web');
      const [session] = (await alice.cookies()).filter((cookie) => cookie.name === 'wallet_session');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
      expect(
        await page.evaluate(
          () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
        ),
      ).not.toContain(session?.value as string);
      expect(page.url()).not.toContain(session?.value as string);
      expect(await balanceShown(page)).toBe('₦0.00');

      // Deposit ₦500: to the simulator's checkout page, pay, back to the wallet, which updates.
      await page.goto(`${origin}/#/deposit`);
      await page.getByLabel('Amount in naira').fill('500');
      await page.getByRole('button', { name: 'Continue to checkout' }).click();
      await page.getByText('SIMULATED PAYSTACK CHECKOUT').waitFor();
      expect(await page.getByTestId('amount').textContent()).toBe('₦500.00');
      await page.click('button[value="pay"]');
      await page.getByText('Payment successful').waitFor();
      await page.goto(`${origin}/#/`);
      await page.getByTestId('deposits').getByText('paid, in your balance').waitFor();
      await expect.poll(() => page.getByTestId('balance').textContent()).toBe('₦500.00');

      // Send ₦120.50 to Bob: a typo in the number is caught as typed; a double click pays once.
      await page.goto(`${origin}/#/send`);
      const wrongDigit = `${bobWallet.slice(0, 12)}${(Number(bobWallet[12]) + 1) % 10}`;
      await page.getByLabel('Recipient’s wallet number').fill(wrongDigit);
      await page.getByText('last digit does not match').waitFor();
      await page.getByLabel('Recipient’s wallet number').fill(bobWallet);
      await page.getByLabel('Amount in naira').fill('120.50');
      await page.getByRole('button', { name: 'Review' }).click();
      expect(await page.getByTestId('confirm-recipient').textContent()).toBe(bobWallet);
      expect(await page.getByTestId('confirm-amount').textContent()).toBe('₦120.50');
      await page.getByRole('button', { name: 'Send', exact: true }).dblclick();
      await page.getByRole('heading', { name: 'Money sent' }).waitFor();
      expect(await page.getByTestId('balance-after').textContent()).toBe('₦379.50');
      expect(await balanceShown(page)).toBe('₦379.50');
      expect(await balanceShown(bobPage)).toBe('₦120.50');

      // Both histories: one transfer each way, with its counterparty.
      await page.goto(`${origin}/#/history`);
      const aliceRows = page.getByTestId('history').locator('tbody tr');
      await aliceRows.first().waitFor();
      expect(await aliceRows.count()).toBe(2);
      expect(await aliceRows.nth(0).textContent()).toMatch(/Transfer.*−₦120\.50.*success.*/);
      expect(await aliceRows.nth(0).textContent()).toContain(bobWallet);
      expect(await aliceRows.nth(1).textContent()).toMatch(/Deposit.*\+₦500\.00.*success/);
      await bobPage.goto(`${origin}/#/history`);
      const bobRows = bobPage.getByTestId('history').locator('tbody tr');
      await bobRows.first().waitFor();
      expect(await bobRows.count()).toBe(1);
      expect(await bobRows.nth(0).textContent()).toMatch(/Transfer.*\+₦120\.50.*success/);
      expect(await bobRows.nth(0).textContent()).toContain(aliceWallet);

      // Withdraw ₦100 to a saved account: resolved with the holder's name, fee and total confirmed.
      await page.goto(`${origin}/#/bank`);
      await page.getByLabel('Bank', { exact: true }).selectOption({ index: 1 });
      await page.getByLabel('Account number').fill('0123456789');
      await page.getByRole('button', { name: 'Check and save' }).click();
      const holder = ((await page.getByTestId('account-name').textContent()) as string).trim();
      expect(holder.length).toBeGreaterThan(0);
      await page.getByLabel('Pay to').selectOption({ index: 1 });
      await page.getByLabel('Amount in naira').fill('100');
      await page.getByRole('button', { name: 'Review' }).click();
      expect(await page.getByTestId('fee').textContent()).toBe('₦10.00');
      expect(await page.getByTestId('total').textContent()).toBe('₦110.00');
      await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
      await page.getByTestId('withdrawal-status').getByText('sent to the bank').waitFor();
      expect(await balanceShown(page)).toBe('₦269.50');

      // An API key: created with permissions and expiry, shown once, works, then revoked.
      await page.goto(`${origin}/#/keys`);
      await page.getByLabel('Name', { exact: true }).fill('shop');
      await page.getByLabel('deposit').check();
      await page.getByLabel('Expires after').selectOption('1D');
      await page.getByRole('button', { name: 'Create key' }).click();
      const apiKey = await page.getByTestId('new-api-key').inputValue();
      expect(apiKey).toMatch(/^sk_(test|live)_/);
      const withKey = () => fetch(`${origin}/wallet/balance`, { headers: { 'x-api-key': apiKey } });
      expect((await withKey()).status).toBe(200);
      await page.getByRole('button', { name: 'Revoke shop' }).click();
      await page.getByTestId('keys').getByText('revoked').waitFor();
      expect((await withKey()).status).toBe(401);

      // A webhook endpoint, its test delivery listed.
      await page.goto(`${origin}/#/webhooks`);
      await page.getByLabel('URL').fill(`${origin}/healthz`);
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      expect(await page.getByTestId('webhook-secret').inputValue()).toMatch(/^whsec_/);
      await page.getByRole('button', { name: /^Send a test event/ }).click();
      await page.getByText('webhook.test').first().waitFor();

      // CSRF: a cookie-authenticated POST without the token, or from another origin, moves nothing.
      const forged = await page.evaluate(
        async ([to]) => {
          const response = await fetch('/wallet/transfer', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ wallet_number: to, amount: 100 }),
          });
          return { status: response.status, body: await response.json() };
        },
        [bobWallet],
      );
      expect(forged).toMatchObject({ status: 403, body: { code: 'csrf_refused' } });
      const elsewhere = await alice.newPage();
      await elsewhere.goto(`${service.url}/healthz`);
      await elsewhere.evaluate(
        async ([target, to]) => {
          await fetch(`${target}/wallet/transfer`, {
            method: 'POST',
            mode: 'no-cors',
            credentials: 'include',
            body: JSON.stringify({ wallet_number: to, amount: 100 }),
          }).catch(() => undefined);
        },
        [origin, bobWallet],
      );
      await elsewhere.close();
      expect(await balanceShown(page)).toBe('₦269.50');
      expect(await balanceShown(bobPage)).toBe('₦120.50');

      // Keyboard alone: Bob pays ₦20.50 back with Tab, typing and Enter.
      await bobPage.goto(`${origin}/#/`);
      await bobPage.reload();
      await focusedHeading(bobPage, 'Wallet');
      await tabTo(bobPage, 'Send');
      await bobPage.keyboard.press('Enter');
      await focusedHeading(bobPage, 'Send money');
      await tabTo(bobPage, 'Recipient’s wallet number');
      await bobPage.keyboard.type(aliceWallet);
      await bobPage.keyboard.press('Tab');
      await bobPage.keyboard.type('20.50');
      await bobPage.keyboard.press('Enter');
      await focusedHeading(bobPage, 'Confirm the payment');
      await tabTo(bobPage, 'Send');
      await bobPage.keyboard.press('Enter');
      await bobPage.getByRole('heading', { name: 'Money sent' }).waitFor();
      expect(await balanceShown(bobPage)).toBe('₦100.00');
      expect(await balanceShown(page)).toBe('₦290.00');

      // Every request of the journey's two pages went to the service's own origin: sign-in,
      // checkout, the page's files and its API calls alike.
      expect(requests.flat().length).toBeGreaterThan(50);
      const foreign = requests.flat().filter((url) => new URL(url).origin !== origin);
      expect(foreign).toEqual([]);

      // Accessibility and screenshots of every view, in a context of its own that may inject axe.
      const scanner = await browser.newContext({ bypassCSP: true, viewport: DESKTOP });
      const signedOut = await scanner.newPage();
      await signedOut.goto(`${origin}/`);
      await signedOut.getByRole('link', { name: 'Sign in with Google' }).waitFor();
      await scanAndShoot(signedOut, 'sign-in');
      await scanner.addCookies(await alice.cookies());
      const views: [string, string, string][] = [
        ['wallet', '/#/', 'Wallet'],
        ['deposit', '/#/deposit', 'Deposit'],
        ['send', '/#/send', 'Send money'],
        ['history', '/#/history', 'History'],
        ['withdraw', '/#/bank', 'Withdraw to a bank'],
        ['api-keys', '/#/keys', 'API keys'],
        ['webhooks', '/#/webhooks', 'Webhooks'],
      ];
      const scan = await scanner.newPage();
      for (const [name, path, heading] of views) {
        await scan.goto(`${origin}${path}`);
        await scan.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await scan.waitForLoadState('networkidle');
        await scanAndShoot(scan, name);
      }

      // Sign out: the cookie is gone and the page asks to sign in again.
      await page.goto(`${origin}/#/`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Sign in with Google' }).waitFor();
      expect((await alice.cookies()).filter((cookie) => cookie.name === 'wallet_session')).toEqual([]);
    },
    timeoutForStarts(2),
  );

  it.skipIf(!hasChromium)(
    'a retry after a lost answer sends the same request with the same Idempotency-Key: one transfer, one withdrawal',
    async () => {
      const { origin, browser } = await started();
      const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      const payee = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(page, origin, 'dave@example.com', 'Dave Retry');
      const erinWallet = await signIn(payee, origin, 'erin@example.com', 'Erin Retry');
      await depositPaid(page, origin, '1000', '₦1,000.00');

      // The transfer reaches the service, its answer is lost: the page offers the same payment again.
      const transferKeys = await loseFirstAnswer(page, '**/wallet/transfer', 'POST');
      await page.goto(`${origin}/#/send`);
      await page.getByLabel('Recipient’s wallet number').fill(erinWallet);
      await page.getByLabel('Amount in naira').fill('200');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByRole('heading', { name: 'Money sent' }).waitFor();
      expect(transferKeys).toHaveLength(2);
      expect(transferKeys[1]).toBe(transferKeys[0]);
      expect(await page.getByTestId('balance-after').textContent()).toBe('₦800.00');
      expect(await balanceShown(page)).toBe('₦800.00');
      expect(await balanceShown(payee)).toBe('₦200.00');

      // After a 502 (from a proxy, the payment made behind it), going back to the form and
      // reviewing the same payment keeps the attempt's key too.
      await page.unrouteAll({ behavior: 'wait' });
      const againKeys = await loseFirstAnswer(page, '**/wallet/transfer', 'POST', 'bad gateway');
      await page.goto(`${origin}/#/send`);
      await page.getByLabel('Recipient’s wallet number').fill(erinWallet);
      await page.getByLabel('Amount in naira').fill('50');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('button', { name: 'Try again' }).waitFor();
      await page.getByRole('button', { name: 'Change' }).click();
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('heading', { name: 'Money sent' }).waitFor();
      expect(againKeys).toHaveLength(2);
      expect(againKeys[1]).toBe(againKeys[0]);
      expect(await balanceShown(page)).toBe('₦750.00');
      expect(await balanceShown(payee)).toBe('₦250.00');

      // A withdrawal whose answer is lost, tried again: one withdrawal, with its fee once.
      await page.goto(`${origin}/#/bank`);
      await page.getByLabel('Bank', { exact: true }).selectOption({ index: 1 });
      await page.getByLabel('Account number').fill('0123456789');
      await page.getByRole('button', { name: 'Check and save' }).click();
      await page.getByTestId('account-name').waitFor();
      const withdrawalKeys = await loseFirstAnswer(page, '**/wallet/withdrawals', 'POST');
      await page.getByLabel('Pay to').selectOption({ index: 1 });
      await page.getByLabel('Amount in naira').fill('100');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByTestId('withdrawal-status').waitFor();
      expect(withdrawalKeys).toHaveLength(2);
      expect(withdrawalKeys[1]).toBe(withdrawalKeys[0]);
      expect(await balanceShown(page)).toBe('₦640.00');
      await page.goto(`${origin}/#/history`);
      const rows = page.getByTestId('history').locator('tbody tr');
      await rows.first().waitFor();
      const texts = await rows.allTextContents();
      expect(texts.filter((text) => text.includes('Withdrawal'))).toHaveLength(1);
      expect(texts.filter((text) => text.includes('Transfer'))).toHaveLength(2);

      // On a phone the history's rows are readable whole: amount, status and counterparty on screen.
      await page.setViewportSize(PHONE);
      const first = rows.first();
      for (const cell of await first.locator('td').all()) {
        const box = await cell.boundingBox();
        expect(box, 'a history cell is laid out').not.toBeNull();
        expect(
          (box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= PHONE.width,
          `${await cell.textContent()} on screen`,
        ).toBe(true);
      }
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    },
    timeoutForStarts(2),
  );

  it.skipIf(!hasChromium)(
    'a withdrawal the bank reverses after its success shows as reversed',
    async () => {
      const { origin, browser } = await started();
      const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(page, origin, 'rita@example.com', 'Rita Reversal');
      await depositPaid(page, origin, '500', '₦500.00');
      await page.goto(`${origin}/#/bank`);
      await page.getByLabel('Bank', { exact: true }).selectOption({ index: 1 });
      // The simulator reverses transfers to an account number ending in 2 shortly after success.
      await page.getByLabel('Account number').fill('0123456782');
      await page.getByRole('button', { name: 'Check and save' }).click();
      await page.getByTestId('account-name').waitFor();
      await page.getByLabel('Pay to').selectOption({ index: 1 });
      await page.getByLabel('Amount in naira').fill('100');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: 'Withdraw', exact: true }).click();
      await page
        .getByTestId('withdrawal-status')
        .getByText('reversed by the bank')
        .waitFor({ timeout: 30_000 });
      expect(await balanceShown(page)).toBe('₦500.00');
    },
    timeoutForStarts(2),
  );

  it.skipIf(!hasChromium)(
    'sign-out forgets the deposits this tab tracked; a deposit the service does not know is dropped, not shown as failed',
    async () => {
      const { origin, browser } = await started();
      const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      await signIn(page, origin, 'frank@example.com', 'Frank Deposits');
      // The deposit's first answer is lost; continuing again opens that same deposit (same key).
      const depositKeys = await loseFirstAnswer(page, '**/wallet/deposit', 'POST');
      await page.goto(`${origin}/#/deposit`);
      await page.getByLabel('Amount in naira').fill('7');
      await page.getByRole('button', { name: 'Continue to checkout' }).click();
      await page.getByText('A deposit may have been started').waitFor();
      await page.getByRole('button', { name: 'Continue to checkout' }).click();
      await page.getByText('SIMULATED PAYSTACK CHECKOUT').waitFor();
      expect(depositKeys).toHaveLength(2);
      expect(depositKeys[1]).toBe(depositKeys[0]);
      await page.goto(`${origin}/#/`);
      await page.getByTestId('deposits').getByText('waiting for payment').waitFor();
      expect(await page.getByTestId('deposits').locator('li').count()).toBe(1);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Sign in with Google' }).waitFor();
      expect(
        await page.evaluate('Object.keys(sessionStorage).filter((k) => k.startsWith("wallet.deposits"))'),
      ).toEqual([]);

      // Grace signs in on the same tab: none of Frank's deposits, in the list or failed.
      await signIn(page, origin, 'grace@example.com', 'Grace Deposits');
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(await page.getByTestId('deposits').count()).toBe(0);

      // A tracked reference the service does not know for Grace (404) leaves the list quietly.
      const userId = (await page.evaluate(
        `fetch('/auth/session').then((r) => r.json()).then((b) => b.user.id)`,
      )) as string;
      await page.evaluate(
        `sessionStorage.setItem('wallet.deposits.${userId}', JSON.stringify([{ reference: 'not-a-deposit-of-grace', amount: 700, status: 'pending' }]))`,
      );
      await page.reload();
      await page.getByTestId('deposits').getByText('waiting for payment').waitFor();
      await page.getByTestId('deposits').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await page.getByText('failed, nothing was charged').count()).toBe(0);
    },
    timeoutForStarts(2),
  );

  it.skipIf(!hasChromium)(
    'checks a deposit against the API’s bounds, explains an unknown sign-in error, and puts the focus where the person is',
    async () => {
      const { origin, browser } = await started();
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await context.newPage();

      // A sign-in error code that is an inherited name still gets the general message.
      for (const code of ['constructor', '__proto__', 'toString', 'no_such_code']) {
        await page.goto(`${origin}/?sign_in_error=${code}`);
        expect((await page.getByRole('alert').textContent())?.trim()).toBe(
          'The sign-in failed. Please try again.',
        );
      }

      // Signed in: the focus is on the view's heading, not the page's body.
      await signIn(page, origin, 'henry@example.com', 'Henry Focus');
      await expect.poll(() => focused(page)).toEqual({ id: 'view-heading', text: 'Wallet' });
      const other = await (await browser.newContext({ viewport: DESKTOP })).newPage();
      const idaWallet = await signIn(other, origin, 'ida@example.com', 'Ida Focus');

      // A deposit above ₦10,000,000 is refused by the page itself, as the API would.
      const deposits: string[] = [];
      page.on('request', (request) => {
        if (request.method() === 'POST' && request.url().endsWith('/wallet/deposit'))
          deposits.push(request.url());
      });
      await page.goto(`${origin}/#/deposit`);
      await page.getByLabel('Amount in naira').fill('10000000.01');
      await page.getByRole('button', { name: 'Continue to checkout' }).click();
      await page.getByText('A deposit is from ₦1.00 to ₦10,000,000.00').waitFor();
      expect(deposits).toEqual([]);
      await expect.poll(() => focused(page).then((f) => f.id)).toBe('amount');

      // Review moves the focus to the confirmation's heading; a refused Send to the field it concerns.
      await page.goto(`${origin}/#/send`);
      await page.getByLabel('Recipient’s wallet number').fill(idaWallet);
      await page.getByLabel('Amount in naira').fill('5');
      await page.getByRole('button', { name: 'Review' }).click();
      await expect.poll(() => focused(page)).toEqual({ id: 'view-heading', text: 'Confirm the payment' });
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByLabel('Amount in naira').waitFor();
      await expect.poll(() => focused(page).then((f) => f.id)).toBe('amount');
      expect(await page.getByLabel('Amount in naira').getAttribute('aria-invalid')).toBe('true');
    },
    timeoutForStarts(2),
  );
});
