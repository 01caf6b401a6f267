import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { authenticateClient, type OidcClients } from './clients.ts';
import type { AuthorizationCodes, IssuedCode } from './codes.ts';
import { OAuthError, single } from './oauth-errors.ts';
import type { SigningKey } from './signing-key.ts';
import { signTokens, TOKEN_TTL_SECONDS } from './tokens.ts';

const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * The code grant for an authenticated client's token request: the code is redeemed (spent
 * whatever follows), issued to this client, for this redirect URI, and the PKCE verifier matches.
 * Throws OAuthError (400) otherwise.
 */
function redeemGrant(codes: AuthorizationCodes, clientId: string, body: unknown): IssuedCode {
  if (single(body, 'grant_type') !== 'authorization_code') {
    throw new OAuthError(400, 'unsupported_grant_type', 'only authorization_code is supported');
  }
  const issued = codes.redeem(single(body, 'code'));
  if (!issued || issued.clientId !== clientId) {
    throw new OAuthError(400, 'invalid_grant', 'the authorization code is invalid, expired or already used');
  }
  if (single(body, 'redirect_uri') !== issued.redirectUri) {
    throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request');
  }
  const verifier = single(body, 'code_verifier');
  if (verifier === undefined || !PKCE_VERIFIER.test(verifier) || s256(verifier) !== issued.codeChallenge) {
    throw new OAuthError(400, 'invalid_grant', 'the PKCE code_verifier does not match');
  }
  return issued;
}

/** `POST /token`: an authorization code (with PKCE) for an ID token and an access token. */
export function registerTokenEndpoint(
  app: FastifyInstance,
  options: { issuer: string; clients: OidcClients; codes: AuthorizationCodes; key: SigningKey },
): void {
  const { issuer, clients, codes, key } = options;
  app.post('/token', { schema: { hide: true } }, async (request, reply) => {
    const client = authenticateClient(clients, request.headers.authorization, request.body);
    const issued = redeemGrant(codes, client.clientId, request.body);
    const { idToken, accessToken } = await signTokens(key, issuer, issued);
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_SECONDS,
      id_token: idToken,
      scope: issued.scope,
    });
  });
}
