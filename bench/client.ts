// The bench as a client of the service over HTTP: JSON requests and the browser's sign-in.
import { providerForm, stateCookieOf } from '../harness/provider-page.ts';

/** No single setup request of the benchmark should take longer; one that does means trouble. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A JSON request to the service; throws unless it answers `expectedStatus`, else its parsed body. */
export async function requestJson<T>(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown },
  expectedStatus: number,
): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(
      `${init.method ?? 'GET'} ${url}: ${response.status} (expected ${expectedStatus}): ${text}`,
    );
  }
  return JSON.parse(text) as T;
}

function locationOf(response: Response, step: string): string {
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) {
    throw new Error(`${step}: expected a 302 redirect, got ${response.status}`);
  }
  return location;
}

export interface SignedInUser {
  email: string;
  accessToken: string;
  walletNumber: string;
}

/** The whole Google-style sign-in over HTTP, as a browser does it: service → provider page → callback. */
export async function signInThroughProvider(appUrl: string, email: string): Promise<SignedInUser> {
  const timeout = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let start = await fetch(`${appUrl}/auth/google`, { redirect: 'manual', signal: timeout() });
  let location = locationOf(start, 'GET /auth/google');
  // The service first moves the browser to its redirect URI's host when the two differ.
  if (new URL(location).pathname === '/auth/google') {
    start = await fetch(location, { redirect: 'manual', signal: timeout() });
    location = locationOf(start, 'GET /auth/google (second hop)');
  }
  const cookie = stateCookieOf(start);
  if (cookie === undefined) throw new Error('GET /auth/google set no state cookie');

  const authorizeUrl = new URL(location);
  const page = await fetch(authorizeUrl, { signal: timeout() });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`provider page: ${page.status}`);
  const form = providerForm(html, { email, email_verified: 'true', action: 'sign_in' });
  const answered = await fetch(authorizeUrl, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    signal: timeout(),
  });
  const callbackUrl = locationOf(answered, 'provider sign-in');

  const callback = await fetch(callbackUrl, { headers: { cookie }, redirect: 'manual', signal: timeout() });
  const text = await callback.text();
  if (callback.status !== 200) throw new Error(`sign-in callback: ${callback.status}: ${text}`);
  const body = JSON.parse(text) as { access_token: string; wallet: { wallet_number: string } };
  return { email, accessToken: body.access_token, walletNumber: body.wallet.wallet_number };
}
