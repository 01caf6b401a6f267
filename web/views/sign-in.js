import { Heading, html } from '../ui.js';

/** Why a sign-in came back without a session, in words, by the callback's error code. */
const SIGN_IN_ERRORS = /** @type {Record<string, string>} */ ({
  invalid_sign_in_state: 'The sign-in took too long or began in another window. Please sign in again.',
  sign_in_denied: 'The sign-in was cancelled.',
  sign_in_failed: 'The sign-in could not be completed. Please try again.',
  email_not_verified: 'Your email address is not verified with Google, so it cannot be used here.',
  identity_provider_error: 'Google could not be reached. Please try again in a moment.',
});

const FALLBACK = 'The sign-in failed. Please try again.';

/**
 * The words for a callback's error code; any code not in the table (including the names every
 * object inherits, such as `constructor`) gets the general message.
 * @param {string | null} code
 * @returns {string | null}
 */
export function signInErrorMessage(code) {
  if (code === null) return null;
  return Object.hasOwn(SIGN_IN_ERRORS, code) ? (SIGN_IN_ERRORS[code] ?? FALLBACK) : FALLBACK;
}
/** The signed-out page: one button that starts the same Google (or dev) sign-in as the API's. */
export function SignInView() {
  const code = new URLSearchParams(location.search).get('sign_in_error');
  const message = signInErrorMessage(code);
  return html`<section class="card narrow">
    <${Heading}>Your wallet</${Heading}>
    <p>Hold naira, pay other wallets instantly, withdraw to your bank, and manage API keys and webhooks.</p>
    ${message ? html`<p class="error" role="alert">${message}</p>` : null}
    <p><a class="button" href="/auth/web">Sign in with Google</a></p>
    <p class="muted">Developers: the JSON API is documented at <a href="/docs">/docs</a>.</p>
  </section>`;
}
