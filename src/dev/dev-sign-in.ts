import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createGoogleSignIn, type GoogleSignIn } from '../auth/google.ts';
import type { Config } from '../config.ts';
import { oidcProvider } from './oidc-provider.ts';

export const DEV_OIDC_PREFIX = '/dev/oidc';

/**
 * Without GOOGLE_CLIENT_ID the service serves its own OpenID provider and signs in against it over
 * HTTP, so the same relying-party code runs as with Google. Config refuses this in production.
 */
export async function mountDevSignIn(app: FastifyInstance, config: Config): Promise<GoogleSignIn> {
  const issuer = `http://localhost:${config.port}${DEV_OIDC_PREFIX}`;
  // Fresh credentials each start: nothing outside this process needs to know them.
  const clientId = `dev-${randomBytes(6).toString('hex')}`;
  const clientSecret = randomBytes(24).toString('base64url');
  await app.register(oidcProvider, {
    prefix: DEV_OIDC_PREFIX,
    issuer,
    clients: [{ clientId, clientSecret, redirectUris: [config.google.redirectUri] }],
  });
  app.log.warn(
    { issuer },
    'SIGN-IN IS A LOCAL STAND-IN, NOT GOOGLE: GOOGLE_CLIENT_ID is unset, so /auth/google uses the ' +
      'development provider, where anyone can sign in as any email. Never use this in production.',
  );
  return createGoogleSignIn({
    issuer,
    clientId,
    clientSecret,
    redirectUri: config.google.redirectUri,
    jwtSecret: config.jwtSecret,
  });
}
