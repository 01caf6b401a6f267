import { escapeHtml } from '../escape-html.ts';
import type { AuthorizationRequest } from './authorization-request.ts';

export const MAX_NAME_LENGTH = 100;

/**
 * The page where a person types the email to sign in as. It says plainly that it is not Google,
 * and posts the authorization request back with the answer.
 */
export function signInPage(request: AuthorizationRequest, issuer: string): string {
  const hidden = {
    client_id: request.client.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    state: request.state,
    nonce: request.nonce,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  const fields = Object.entries(hidden)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n      ');
  const returnTo = new URL(request.redirectUri).origin;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Local development sign-in (not Google)</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
    .warning { background: #fff3cd; border: 1px solid #e0b000; padding: .75rem; border-radius: .4rem; }
    label { display: block; margin-top: 1rem; }
    input[type=email], input[type=text] { width: 100%; padding: .5rem; box-sizing: border-box; }
    .buttons { margin-top: 1.5rem; display: flex; gap: .75rem; }
    button { padding: .5rem 1.25rem; }
  </style>
</head>
<body>
  <h1>Local development sign-in</h1>
  <p class="warning"><strong>This is not Google.</strong> It is a local development sign-in provider
    (${escapeHtml(issuer)}) that lets anyone sign in as any email. Never use it in production.</p>
  <p>Signing in to <code>${escapeHtml(request.client.clientId)}</code>, which will receive you back at
    <code>${escapeHtml(returnTo)}</code>.</p>
  <form method="post">
      ${fields}
    <label>Email <input type="email" name="email" required autofocus autocomplete="email"
      value="${escapeHtml(request.loginHint ?? '')}"></label>
    <label>Name (optional) <input type="text" name="name" maxlength="${MAX_NAME_LENGTH}" autocomplete="name"></label>
    <label><input type="checkbox" name="email_verified" value="true" checked> Email verified</label>
    <div class="buttons">
      <button type="submit" name="action" value="sign_in">Sign in</button>
      <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    </div>
  </form>
</body>
</html>`;
}
