// The web wallet: one page, its views chosen by the URL's fragment (#/send), all on the JSON API.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, setCsrfToken, whenSignedOut } from './api.js';
import { html } from './ui.js';
import { BankView } from './views/bank.js';
import { DepositView, forgetDeposits } from './views/deposit.js';
import { HistoryView } from './views/history.js';
import { KeysView } from './views/keys.js';
import { SendView } from './views/send.js';
import { SignInView } from './views/sign-in.js';
import { WalletView } from './views/wallet.js';
import { WebhooksView } from './views/webhooks.js';

/**
 * @typedef {{ user: { id: string, email: string, name: string | null }, wallet_number: string }} Session
 */

/** The views, by fragment, in the order of the navigation. */
const VIEWS = [
  { path: '/', label: 'Wallet', view: WalletView },
  { path: '/deposit', label: 'Deposit', view: DepositView },
  { path: '/send', label: 'Send', view: SendView },
  { path: '/history', label: 'History', view: HistoryView },
  { path: '/bank', label: 'Withdraw', view: BankView },
  { path: '/keys', label: 'API keys', view: KeysView },
  { path: '/webhooks', label: 'Webhooks', view: WebhooksView },
];

function currentPath() {
  const path = location.hash.replace(/^#/, '') || '/';
  return VIEWS.some((view) => view.path === path) ? path : '/';
}

function App() {
  /** @type {[Session | null | 'loading', (session: Session | null | 'loading') => void]} */
  const [session, setSession] = useState(/** @type {Session | null | 'loading'} */ ('loading'));
  const [path, setPath] = useState(currentPath());
  const [signOutError, setSignOutError] = useState(/** @type {string | null} */ (null));

  useEffect(() => {
    whenSignedOut(() => {
      setCsrfToken(null);
      setSession(null);
    });
    call('GET', '/auth/session')
      .then(({ body }) => {
        setCsrfToken(body.csrf_token);
        setSession({ user: body.user, wallet_number: body.wallet_number });
      })
      .catch(() => setSession(null));
    const onHash = () => setPath(currentPath());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // Focus the new view's heading, so keyboard and screen reader users start at its top.
  // Also after signing in or out: the session's state (loading, out, in) is part of the key.
  const signedIn = session === 'loading' ? 'loading' : session === null ? 'out' : 'in';
  useEffect(() => {
    if (signedIn !== 'loading') document.getElementById('view-heading')?.focus();
  }, [path, signedIn]);

  if (session === 'loading') return html`<main id="main"><p>Loading your wallet…</p></main>`;
  if (session === null) return html`<main id="main"><${SignInView} /></main>`;

  const active = VIEWS.find((view) => view.path === path) ?? VIEWS[0];
  const View = /** @type {NonNullable<typeof active>} */ (active).view;

  async function signOut() {
    try {
      await call('POST', '/auth/sign-out');
      forgetDeposits();
      setCsrfToken(null);
      setSession(null);
      location.hash = '';
    } catch (error) {
      setSignOutError(error instanceof ApiError ? error.problem.detail : 'Signing out failed');
    }
  }

  return html`
    <a class="skip" href="#main" onClick=${(/** @type {Event} */ event) => {
      event.preventDefault();
      document.getElementById('view-heading')?.focus();
    }}>Skip to content</a>
    <header class="top">
      <p class="who">
        <span>${session.user.name ?? session.user.email}</span>
        <span class="muted"> · wallet <span class="mono">${session.wallet_number}</span></span>
      </p>
      <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
      ${signOutError ? html`<p class="error" role="alert">${signOutError}</p>` : null}
    </header>
    <nav aria-label="Wallet">
      <ul>
        ${VIEWS.map(
          (view) => html`<li>
            <a href=${`#${view.path}`} aria-current=${view.path === path ? 'page' : undefined}>${view.label}</a>
          </li>`,
        )}
      </ul>
    </nav>
    <main id="main"><${View} session=${session} /></main>
  `;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
