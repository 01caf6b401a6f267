// The browser's side of sign-in through the dev OpenID provider, free of assertions so that the
// tests (which assert each step) and the benchmark (which throws) share one reading of the flow.

/** The sign-in state cookie the service sets on `GET /auth/google`. */
export const STATE_COOKIE = 'wallet_sign_in';

/** The state cookie a response sets, as a `Cookie` header value (`name=value`). */
export function stateCookieOf(response: Response): string | undefined {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0] as string)
    .find((pair) => pair.startsWith(`${STATE_COOKIE}=`));
}

function unescapeHtml(value: string): string {
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/**
 * The provider page's form as a browser would submit it: its hidden fields, then what the person
 * typed or pressed (`fields`). The form has no action, so it is posted back to the page's URL.
 */
export function providerForm(html: string, fields: Record<string, string>): URLSearchParams {
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(match[1] as string, unescapeHtml(match[2] as string));
  }
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}
