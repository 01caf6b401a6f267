import type { FastifyReply } from 'fastify';
import type { OidcClient, OidcClients } from './clients.ts';
import { OAuthError, single } from './oauth-errors.ts';

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** An authorization request that passed every check. */
export interface AuthorizationRequest {
  client: OidcClient;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scope: string;
  codeChallenge: string;
  loginHint: string | undefined;
}

/** Sends the browser back to the client's `redirectUri` with `params` (those defined) in the query. */
export function redirectWith(
  reply: FastifyReply,
  redirectUri: string,
  params: Record<string, string | undefined>,
) {
  const target = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) target.searchParams.set(key, value);
  }
  return reply.redirect(target.toString(), 302);
}

/**
 * Reads an authorization request from the query (GET) or the form (POST). Until the client and
 * its redirect URI are known good, a refusal is thrown as OAuthError (400) and answered here;
 * after that it is redirected to the client, as RFC 6749 §4.1.2.1 says, and the result is `null`.
 * Only `response_type=code`, a scope with `openid` and PKCE S256 pass.
 */
export function parseAuthorizationRequest(
  source: unknown,
  clients: OidcClients,
  reply: FastifyReply,
): AuthorizationRequest | null {
  const clientId = single(source, 'client_id');
  const client = clientId === undefined ? undefined : clients.get(clientId);
  if (!client) throw new OAuthError(400, 'invalid_request', 'unknown client_id');
  const redirectUri = single(source, 'redirect_uri');
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
    throw new OAuthError(400, 'invalid_request', 'redirect_uri is not registered for this client');
  }
  const state = single(source, 'state');
  const fail = (error: string, description: string) => {
    redirectWith(reply, redirectUri, { error, error_description: description, state });
    return null;
  };
  if (single(source, 'response_type') !== 'code') {
    return fail('unsupported_response_type', 'only response_type=code is supported');
  }
  const scope = single(source, 'scope') ?? '';
  if (!scope.split(' ').includes('openid')) return fail('invalid_scope', 'scope must include openid');
  const codeChallenge = single(source, 'code_challenge');
  if (
    single(source, 'code_challenge_method') !== 'S256' ||
    !codeChallenge ||
    !PKCE_CHALLENGE.test(codeChallenge)
  ) {
    return fail('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  }
  return {
    client,
    redirectUri,
    state,
    nonce: single(source, 'nonce'),
    scope,
    codeChallenge,
    loginHint: single(source, 'login_hint'),
  };
}
