import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { type GoogleSignIn, SIGN_IN_STATE_TTL_SECONDS } from '../auth/google.ts';
import { issueAccessToken } from '../auth/jwt.ts';
import { signInUser } from '../auth/users.ts';
import { type Config, isLoopbackUrl } from '../config.ts';
import type { Database } from '../db/client.ts';

const STATE_COOKIE = 'wallet_sign_in';
const STATE_COOKIE_PATH = '/auth/google';

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048, description: 'Authorization code' })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256, description: 'Set when the provider did not sign in' })),
  error_description: Type.Optional(Type.String({ maxLength: 1024 })),
});

const SignInResponse = Type.Object({
  access_token: Type.String({ description: 'JWT for `Authorization: Bearer`' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: Type.Object({
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
  }),
  wallet: Type.Object({
    wallet_number: Type.String({
      pattern: '^[0-9]{13}$',
      description: '13 digits, the last a Luhn check digit',
    }),
  }),
});

function hostOf(request: FastifyRequest): URL | undefined {
  try {
    return new URL(`http://${request.host}`);
  } catch {
    return undefined;
  }
}

function queryString(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index + 1);
}

/**
 * Google sign-in, ending in the service's own JWT. `signIn` is Google's relying party or, in
 * development, the stand-in's: the composition root chooses, these routes never know which.
 */
export const authRoutes: FastifyPluginAsyncTypebox<{
  db: Database;
  config: Config;
  signIn: GoogleSignIn;
}> = async (app, { db, config, signIn }) => {
  const cookieOptions = {
    path: STATE_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: signIn.redirectUri.protocol === 'https:',
  };

  app.get(
    '/auth/google',
    {
      schema: {
        tags: ['auth'],
        summary: 'Start Google sign-in',
        description:
          'Redirects to the provider with state, nonce and PKCE S256; the flow state travels in a signed, ' +
          'HttpOnly cookie. Open it in a browser; the callback answers with the access token.',
        response: { 302: Type.Null({ description: 'Redirect to the provider’s sign-in page' }) },
      },
    },
    async (request, reply) => {
      // The state cookie is bound to a host: start on the callback's host (localhost rather than
      // 127.0.0.1) or the callback will not see it. Only between loopback names, so a proxy that
      // rewrites Host can never cause a redirect loop.
      const here = hostOf(request);
      if (
        here !== undefined &&
        here.host !== signIn.redirectUri.host &&
        isLoopbackUrl(here) &&
        isLoopbackUrl(signIn.redirectUri)
      ) {
        // Built from this route's path and the query alone, never from the request target, which
        // a client may send in absolute form naming any host.
        const target = new URL(STATE_COOKIE_PATH, signIn.redirectUri.origin);
        target.search = queryString(request.url);
        return reply.redirect(target.href, 302);
      }
      const { authorizationUrl, stateCookie } = await signIn.start();
      reply.setCookie(STATE_COOKIE, stateCookie, { ...cookieOptions, maxAge: SIGN_IN_STATE_TTL_SECONDS });
      return reply.header('cache-control', 'no-store').redirect(authorizationUrl, 302);
    },
  );

  app.get(
    '/auth/google/callback',
    {
      schema: {
        tags: ['auth'],
        summary: 'Finish Google sign-in',
        description:
          'The provider redirects here. Creates the user and their wallet on first sign-in and returns a JWT. ' +
          'Fails with `invalid_sign_in_state`, `sign_in_denied`, `sign_in_failed` (400), ' +
          '`email_not_verified` (403) or `identity_provider_error` (502).',
        querystring: CallbackQuery,
        response: { 200: SignInResponse },
      },
    },
    async (request, reply) => {
      // The flow state is single-use: whatever happens next, the browser drops it.
      reply.clearCookie(STATE_COOKIE, cookieOptions);
      reply.header('cache-control', 'no-store');
      const identity = await signIn.finish(queryString(request.url), request.cookies[STATE_COOKIE]);
      const user = await signInUser(db, identity);
      const token = await issueAccessToken(user.id, config.jwtSecret, config.jwtTtlSeconds);
      request.log.info({ userId: user.id, created: user.created }, 'signed in');
      return {
        access_token: token.token,
        token_type: 'Bearer' as const,
        expires_in: token.expiresIn,
        user: { id: user.id, email: user.email, name: user.name },
        wallet: { wallet_number: user.walletNumber },
      };
    },
  );
};
