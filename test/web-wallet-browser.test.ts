import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS } from '../harness/node-server.ts';
import { type ServiceProcess, startServiceProcess, timeoutForStarts } from './support/service-process.ts';

/** Debian's Chromium only: nothing here may download a browser. */
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
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

describe('the web wallet in a browser', () => {
  it.skipIf(!hasChromium)(
    'signs in, deposits, sends (once on a double click, and by keyboard alone), withdraws, manages keys, refuses CSRF, passes axe',
    async () => {
      // As `npm start` with no configuration: dev sign-in, Paystack simulator, embedded database.
      service = await startServiceProcess({ env: { DATA_DIR: dataDir } });
      // The dev sign-in's redirect URI is on localhost: the page's origin, where the cookie lives.
      const origin = service.url.replace('127.0.0.1', 'localhost');
      mkdirSync(SCREENSHOTS, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        timeout: START_TIMEOUT_MS,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });

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
      await page.getByTestId('withdrawal-status').getByText('paid to the bank').waitFor();
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
      await bobPage.getByRole('heading', { name: 'Wallet', level: 1 }).waitFor();
      await tabTo(bobPage, 'Send');
      await bobPage.keyboard.press('Enter');
      await bobPage.getByRole('heading', { name: 'Send money', level: 1 }).waitFor();
      await tabTo(bobPage, 'Recipient’s wallet number');
      await bobPage.keyboard.type(aliceWallet);
      await bobPage.keyboard.press('Tab');
      await bobPage.keyboard.type('20.50');
      await bobPage.keyboard.press('Enter');
      await bobPage.getByRole('heading', { name: 'Confirm the payment' }).waitFor();
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
});
