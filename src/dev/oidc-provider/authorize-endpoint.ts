import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parseAuthorizationRequest, redirectWith } from './authorization-request.ts';
import type { OidcClients } from './clients.ts';
import type { AuthorizationCodes } from './codes.ts';
import { OAuthError, single } from './oauth-errors.ts';
import { MAX_NAME_LENGTH, signInPage } from './sign-in-page.ts';

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,189}$/;

/** A stable subject per email, so a person keeps their account across restarts, never the email. */
function subjectFor(email: string): string {
  return createHash('sha256').update(`dev-oidc-subject:${email}`).digest('hex').slice(0, 32);
}

/**
 * `/authorize`: GET shows the sign-in page for a valid request; POST takes the person's answer
 * and sends the browser back to the client with a code, or with `access_denied` on Cancel.
 */
export function registerAuthorizeEndpoint(
  app: FastifyInstance,
  options: { issuer: string; clients: OidcClients; codes: AuthorizationCodes },
): void {
  const { issuer, clients, codes } = options;

  app.get('/authorize', { schema: { hide: true } }, async (request, reply) => {
    const authorization = parseAuthorizationRequest(request.query, clients, reply);
    if (!authorization) return reply;
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      )
      .send(signInPage(authorization, issuer));
  });

  app.post('/authorize', { schema: { hide: true } }, async (request, reply) => {
    const authorization = parseAuthorizationRequest(request.body, clients, reply);
    if (!authorization) return reply;
    const { redirectUri, state } = authorization;
    if (single(request.body, 'action') === 'cancel') {
      return redirectWith(reply, redirectUri, {
        error: 'access_denied',
        error_description: 'the person cancelled the sign-in',
        state,
      });
    }
    const email = single(request.body, 'email')?.trim().toLowerCase();
    if (email === undefined || email.length > 254 || !EMAIL.test(email)) {
      throw new OAuthError(400, 'invalid_request', 'type a valid email address');
    }
    const name = single(request.body, 'name')?.trim().slice(0, MAX_NAME_LENGTH) || undefined;
    const code = codes.issue({
      clientId: authorization.client.clientId,
      redirectUri,
      codeChallenge: authorization.codeChallenge,
      nonce: authorization.nonce,
      scope: authorization.scope,
      sub: subjectFor(email),
      email,
      emailVerified: single(request.body, 'email_verified') !== undefined,
      name,
    });
    return redirectWith(reply, redirectUri, { code, state });
  });
}
