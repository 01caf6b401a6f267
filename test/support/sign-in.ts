import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { freePort } from '../../harness/free-port.ts';
import { providerForm, stateCookieOf } from '../../harness/provider-page.ts';
import { type OidcClient, oidcProvider } from '../../src/dev/oidc-provider.ts';
import { startTestApp, type TestApp } from './app.ts';

export interface TestOidcProvider {
  /** The issuer URL, which is also the provider's base URL. */
  issuer: string;
  client: OidcClient;
  /** Stops the provider, so the relying party finds it unreachable. */
  stop(): Promise<void>;
  /** Starts it again on the same port (with a new signing key). */
  start(): Promise<void>;
}

/** The dev OpenID provider on a server of its own, as Google stands apart from the service. */
export async function startTestOidcProvider(redirectUris: readonly string[]): Promise<TestOidcProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const client: OidcClient = {
    clientId: `test-client-${randomBytes(4).toString('hex')}`,
    clientSecret: randomBytes(24).toString('base64url'),
    redirectUris,
  };
  let server: FastifyInstance | undefined;
  const provider: TestOidcProvider = {
    issuer,
    client,
    async start() {
      const instance = Fastify();
      await instance.register(oidcProvider, { issuer, clients: [client] });
      await instance.listen({ port, host: '127.0.0.1' });
      server = instance;
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
  };
  await provider.start();
  return provider;
}

export interface SignInTestSetup {
  t: TestApp;
  provider: TestOidcProvider;
  close(): Promise<void>;
}

/**
 * An app whose Google settings point at a dev provider running as a separate server, with `env`
 * and `deps` of the test's own besides.
 */
export async function startAppWithProvider(
  options: {
    env?: Record<string, string>;
    deps?: NonNullable<Parameters<typeof startTestApp>[0]>['deps'];
  } = {},
): Promise<SignInTestSetup> {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/auth/google/callback`;
  const provider = await startTestOidcProvider([redirectUri]);
  const t = await startTestApp({
    port,
    env: {
      GOOGLE_ISSUER: provider.issuer,
      GOOGLE_CLIENT_ID: provider.client.clientId,
      GOOGLE_CLIENT_SECRET: provider.client.clientSecret,
      GOOGLE_REDIRECT_URI: redirectUri,
      ...options.env,
    },
    ...(options.deps === undefined ? {} : { deps: options.deps }),
  });
  return {
    t,
    provider,
    async close() {
      await t.close();
      await provider.stop();
    },
  };
}

export interface StartedSignIn {
  /** The state cookie as a `Cookie` header value. */
  cookie: string;
  authorizeUrl: URL;
}

/** GET /auth/google as a browser does: follows the hop to the callback's host, keeps the cookie. */
export async function startSignIn(appUrl: string): Promise<StartedSignIn> {
  let response = await fetch(`${appUrl}/auth/google`, { redirect: 'manual' });
  const first = response.headers.get('location');
  if (response.status === 302 && first !== null && new URL(first).pathname === '/auth/google') {
    response = await fetch(first, { redirect: 'manual' });
  }
  expect(response.status).toBe(302);
  const cookie = stateCookieOf(response);
  expect(cookie).toBeDefined();
  return { cookie: cookie as string, authorizeUrl: new URL(response.headers.get('location') as string) };
}

export interface ProviderAnswer {
  email: string;
  name?: string;
  emailVerified?: boolean;
  /** Press "Cancel" instead of "Sign in". */
  cancel?: boolean;
}

/** Loads the provider's page and submits its form; returns where the provider sends the browser. */
export async function answerAtProvider(authorizeUrl: URL, answer: ProviderAnswer): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('not Google');
  const form = providerForm(html, {
    email: answer.email,
    ...(answer.name === undefined ? {} : { name: answer.name }),
    ...((answer.emailVerified ?? true) ? { email_verified: 'true' } : {}),
    action: answer.cancel ? 'cancel' : 'sign_in',
  });
  const response = await fetch(authorizeUrl, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location') as string);
}

export function finishSignIn(callbackUrl: URL | string, cookie: string | undefined): Promise<Response> {
  return fetch(callbackUrl, { headers: cookie === undefined ? {} : { cookie }, redirect: 'manual' });
}

export interface SignInResult {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: { id: string; email: string; name: string | null };
  wallet: { wallet_number: string };
}

/** The whole sign-in through the provider's page, as a person in a browser does it. */
export async function signInThroughProvider(
  appUrl: string,
  email: string,
  answer: Omit<ProviderAnswer, 'email' | 'cancel'> = {},
): Promise<SignInResult> {
  const { cookie, authorizeUrl } = await startSignIn(appUrl);
  const callbackUrl = await answerAtProvider(authorizeUrl, { ...answer, email });
  const response = await finishSignIn(callbackUrl, cookie);
  expect(response.status).toBe(200);
  return (await response.json()) as SignInResult;
}
