// A small OpenID provider of our own: oauth2-mock-server has no login page, and oidc-provider
// needs heavy interaction and consent plumbing for what is a local stand-in for Google.
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync } from 'fastify';
import { registerAuthorizeEndpoint } from './oidc-provider/authorize-endpoint.ts';
import type { OidcClient } from './oidc-provider/clients.ts';
import { AuthorizationCodes } from './oidc-provider/codes.ts';
import { discoveryDocument } from './oidc-provider/discovery.ts';
import { answerErrorsAsOAuth } from './oidc-provider/oauth-errors.ts';
import { generateSigningKey } from './oidc-provider/signing-key.ts';
import { registerTokenEndpoint } from './oidc-provider/token-endpoint.ts';
import { registerUserinfoEndpoint } from './oidc-provider/userinfo-endpoint.ts';

export type { OidcClient } from './oidc-provider/clients.ts';

export interface OidcProviderOptions {
  /** The provider's full public URL, including the prefix it is mounted under. */
  issuer: string;
  clients: readonly OidcClient[];
}

/**
 * An OpenID Connect provider for local development and tests: authorization code flow with PKCE
 * S256 only, a page where you type the email to sign in as, ID tokens signed with a key pair
 * generated at start. Mount it under a prefix of the main app or on a server of its own.
 */
export const oidcProvider: FastifyPluginAsync<OidcProviderOptions> = async (app, options) => {
  const issuer = options.issuer.replace(/\/+$/, '');
  const clients = new Map(options.clients.map((client) => [client.clientId, client]));
  const key = await generateSigningKey();
  const codes = new AuthorizationCodes();

  await app.register(formbody);
  answerErrorsAsOAuth(app);

  app.get('/.well-known/openid-configuration', { schema: { hide: true } }, async () =>
    discoveryDocument(issuer),
  );
  app.get('/jwks', { schema: { hide: true } }, async () => key.jwks);
  registerAuthorizeEndpoint(app, { issuer, clients, codes });
  registerTokenEndpoint(app, { issuer, clients, codes, key });
  registerUserinfoEndpoint(app, { issuer, key });
};
