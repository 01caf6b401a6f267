import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type GoogleSignIn, SIGN_IN_STATE_TTL_SECONDS } from '../auth/google.ts';
import { issueAccessToken } from '../auth/jwt.ts';
import { signedInUserGone } from '../auth/permissions.ts';
import {
  csrfTokenOf,
  findUser,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  sessionCookieName,
} from '../auth/session.ts';
import { type SignedInUser, signInUser } from '../auth/users.ts';
import { type Config, isLoopbackUrl } from '../config.ts';
import type { Database } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { principalOf } from '../http/authentication.ts';
import { toProblem } from '../http/problem.ts';
import { getWalletOfPrincipal } from '../ledger/wallets.ts';

const STATE_COOKIE = 'wallet_sign_in';
const STATE_COOKIE_PATH = '/auth/google';
/**
 * Set beside the state cookie by `GET /auth/web`: the callback then ends the flow the web
 * wallet's way (a session cookie and a redirect to `/`) instead of answering JSON. Unsigned on
 * purpose: forging it gains nothing, as the state cookie still binds the flow to this browser.
 */
const WEB_FLOW_COOKIE = 'wallet_sign_in_web';
const WEB_START_PATH = '/auth/web';

const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 2048, description: 'Authorization code' })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256, description: 'Set when the provider did not sign in' })),
  error_description: Type.Optional(Type.String({ maxLength: 1024 })),
});

const SessionResponse = Type.Object({
  user: Type.Object({
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
  }),
  wallet_number: Type.String({ pattern: '^[0-9]{13}$' }),
  csrf_token: Type.Union([Type.String(), Type.Null()], {
    description:
      'Send it as `x-csrf-token` on every state-changing request made with the session cookie; null when the request used a Bearer token',
  }),
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

  /**
   * Starts the flow from `path`; `web` marks it as the web wallet's. The state cookie is bound to
   * a host: start on the callback's host (localhost rather than 127.0.0.1) or the callback will not
   * see it. Only between loopback names, so a proxy that rewrites Host can never cause a redirect loop.
   */
  async function startSignIn(request: FastifyRequest, reply: FastifyReply, path: string, web: boolean) {
    const here = hostOf(request);
    if (
      here !== undefined &&
      here.host !== signIn.redirectUri.host &&
      isLoopbackUrl(here) &&
      isLoopbackUrl(signIn.redirectUri)
    ) {
      // Built from this route's path and the query alone, never from the request target, which
      // a client may send in absolute form naming any host.
      const target = new URL(path, signIn.redirectUri.origin);
      target.search = queryString(request.url);
      return reply.redirect(target.href, 302);
    }
    const { authorizationUrl, stateCookie } = await signIn.start();
    reply.setCookie(STATE_COOKIE, stateCookie, { ...cookieOptions, maxAge: SIGN_IN_STATE_TTL_SECONDS });
    if (web) reply.setCookie(WEB_FLOW_COOKIE, '1', { ...cookieOptions, maxAge: SIGN_IN_STATE_TTL_SECONDS });
    else reply.clearCookie(WEB_FLOW_COOKIE, cookieOptions);
    return reply.header('cache-control', 'no-store').redirect(authorizationUrl, 302);
  }

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
    (request, reply) => startSignIn(request, reply, STATE_COOKIE_PATH, false),
  );

  app.get(
    WEB_START_PATH,
    {
      schema: {
        tags: ['auth'],
        summary: 'Start Google sign-in for the web wallet',
        description:
          'As `GET /auth/google`, but the callback then sets the web wallet’s session cookie ' +
          '(HttpOnly, SameSite=Strict, Secure over https) and redirects to `/` instead of answering JSON.',
        response: { 302: Type.Null({ description: 'Redirect to the provider’s sign-in page' }) },
      },
    },
    (request, reply) => startSignIn(request, reply, WEB_START_PATH, true),
  );

  app.get(
    '/auth/google/callback',
    {
      schema: {
        tags: ['auth'],
        summary: 'Finish Google sign-in',
        description:
          'The provider redirects here. Creates the user and their wallet on first sign-in and returns a JWT. ' +
          'A flow started at `/auth/web` instead sets the session cookie and redirects to `/` ' +
          '(`/?sign_in_error=<code>` when it fails). ' +
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
      const web = request.cookies[WEB_FLOW_COOKIE] === '1';
      if (web) reply.clearCookie(WEB_FLOW_COOKIE, cookieOptions);
      let user: SignedInUser;
      try {
        const identity = await signIn.finish(queryString(request.url), request.cookies[STATE_COOKIE]);
        user = await signInUser(db, identity);
      } catch (error) {
        if (!web || !(error instanceof AppError)) throw error;
        // The person is in a browser: back to the page, which says in words what went wrong.
        const refusal = toProblem(error, request);
        request.log.info({ code: refusal.code, detail: refusal.detail }, 'web sign-in refused');
        return reply.redirect(`/?sign_in_error=${encodeURIComponent(refusal.code)}`, 302);
      }
      const token = await issueAccessToken(user.id, config.jwtSecret, config.jwtTtlSeconds);
      request.log.info({ userId: user.id, created: user.created, web }, 'signed in');
      if (web) {
        const secure = request.protocol === 'https' || signIn.redirectUri.protocol === 'https:';
        reply.setCookie(sessionCookieName(secure), token.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure,
          maxAge: token.expiresIn,
        });
        return reply.redirect('/', 302);
      }
      return {
        access_token: token.token,
        token_type: 'Bearer' as const,
        expires_in: token.expiresIn,
        user: { id: user.id, email: user.email, name: user.name },
        wallet: { wallet_number: user.walletNumber },
      };
    },
  );

  app.get(
    '/auth/session',
    {
      config: { auth: { allowApiKey: false, readsWallet: true } },
      schema: {
        tags: ['auth'],
        summary: 'Who is signed in, and the session’s CSRF token',
        description:
          'The web wallet reads it at start: the signed-in user, their wallet number and the CSRF token ' +
          'its state-changing requests must carry in `x-csrf-token`. `401` when the session has expired.',
        response: { 200: SessionResponse },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const [user, wallet] = await Promise.all([
        findUser(db, principal.userId),
        getWalletOfPrincipal(db, principal),
      ]);
      if (!user) throw signedInUserGone();
      return {
        user,
        wallet_number: wallet.walletNumber,
        csrf_token:
          request.sessionToken === null ? null : csrfTokenOf(request.sessionToken, config.jwtSecret),
      };
    },
  );

  app.post(
    '/auth/sign-out',
    {
      config: { auth: { allowApiKey: false } },
      schema: {
        tags: ['auth'],
        summary: 'Sign the web wallet out',
        description:
          'Clears the session cookie (with the session’s CSRF token, like every state-changing request made ' +
          'with it). A Bearer token stays valid until it expires.',
        response: { 204: Type.Null({ description: 'Signed out' }) },
      },
    },
    async (_request, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
      reply.clearCookie(SECURE_SESSION_COOKIE, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: true,
      });
      return reply.code(204).send(null);
    },
  );
};
