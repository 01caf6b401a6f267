import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { isLoopbackUrl } from '../config.ts';
import { AppError } from '../errors.ts';
import type { VerifiedIdentity } from './users.ts';

export interface GoogleSignInOptions {
  /** The OpenID issuer whose discovery document is used: Google, or a local stand-in. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The service's JWT secret; the flow-state cookie is signed with a key derived from it. */
  jwtSecret: Uint8Array;
  /** Limit for each call to the provider (discovery, keys, token exchange). */
  timeoutSeconds?: number;
}

export interface SignInStart {
  authorizationUrl: string;
  /** The signed flow state, to be stored in a cookie until the callback. */
  stateCookie: string;
}

export interface GoogleSignIn {
  readonly redirectUri: URL;
  start(): Promise<SignInStart>;
  /**
   * Completes the flow from the callback's query string and the state cookie; throws AppError
   * (400, 403 or 502) for every way it can fail.
   */
  finish(callbackQuery: string, stateCookie: string | undefined): Promise<VerifiedIdentity>;
}

/** The sign-in must finish within this time of starting; the cookie lives as long. */
export const SIGN_IN_STATE_TTL_SECONDS = 600;
const DEFAULT_TIMEOUT_SECONDS = 10;
const SCOPE = 'openid email profile';
const STATE_ALGORITHM = 'HS256';
const STATE_ISSUER = 'wallet-service';
const STATE_AUDIENCE = 'wallet-service:sign-in-state';
const MAX_PROVIDER_TEXT = 200;

interface FlowState {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** A key of its own, so a state cookie can never pass as an access token or the reverse. */
function stateKey(jwtSecret: Uint8Array): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', jwtSecret, new Uint8Array(0), 'wallet-service sign-in state', 32)),
  );
}

function invalidState(detail: string): AppError {
  return new AppError('invalid_sign_in_state', `${detail}; start again at /auth/google`);
}

function providerError(detail: string, cause?: unknown): AppError {
  // The cause is kept for the error log: the problem body shows only the detail.
  return new AppError('identity_provider_error', detail, { cause });
}

/** Provider-supplied text goes into our problem details: keep it short and printable. */
function providerText(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_PROVIDER_TEXT);
}

/** undici reports refused connections, DNS failures and resets as `TypeError: fetch failed`. */
function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === 'fetch failed';
}

const UNREACHABLE_CODES = new Set(['OAUTH_TIMEOUT', 'OAUTH_ABORT']);

function unreachable(error: unknown): AppError | undefined {
  if (error instanceof client.ClientError && UNREACHABLE_CODES.has(error.code ?? '')) {
    return providerError('The identity provider did not answer in time', error);
  }
  if (isNetworkFailure(error)) return providerError('The identity provider could not be reached', error);
  return undefined;
}

function mapDiscoveryError(error: unknown): AppError {
  return (
    unreachable(error) ?? providerError('The identity provider published an unusable configuration', error)
  );
}

/** The error to throw for a failed code exchange: an AppError for every known failure, else the original (a bug). */
function mapGrantError(error: unknown): unknown {
  if (error instanceof client.ResponseBodyError) {
    if (error.error === 'invalid_grant') {
      return new AppError(
        'sign_in_failed',
        'The identity provider rejected the authorization code (expired, already used or not issued for this sign-in); start again at /auth/google',
      );
    }
    return providerError(
      `The identity provider refused the token request (${providerText(error.error)})`,
      error,
    );
  }
  const offline = unreachable(error);
  if (offline) return offline;
  if (error instanceof client.ClientError) {
    return providerError('The identity provider returned a response that failed validation', error);
  }
  return error;
}

/** The flow state, signed into the cookie that carries it from the start to the callback. */
async function sealState(key: KeyObject, flow: FlowState): Promise<string> {
  return new SignJWT({ state: flow.state, nonce: flow.nonce, cv: flow.codeVerifier })
    .setProtectedHeader({ alg: STATE_ALGORITHM })
    .setIssuer(STATE_ISSUER)
    .setAudience(STATE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${SIGN_IN_STATE_TTL_SECONDS}s`)
    .sign(key);
}

/** The flow state from the callback's cookie; `400 invalid_sign_in_state` when missing or flawed. */
async function openState(key: KeyObject, cookie: string | undefined): Promise<FlowState> {
  if (cookie === undefined || cookie === '') {
    throw invalidState('The sign-in state cookie is missing (expired, or the sign-in began elsewhere)');
  }
  try {
    const { payload } = await jwtVerify(cookie, key, {
      algorithms: [STATE_ALGORITHM],
      issuer: STATE_ISSUER,
      audience: STATE_AUDIENCE,
      requiredClaims: ['exp'],
    });
    const { state, nonce, cv } = payload;
    if (typeof state === 'string' && typeof nonce === 'string' && typeof cv === 'string') {
      return { state, nonce, codeVerifier: cv };
    }
  } catch {
    // Any flaw (signature, expiry, claims) gets the same answer below.
  }
  throw invalidState('The sign-in state cookie is invalid or expired');
}

/**
 * Checks the callback's parameters against this browser's flow before the code is redeemed:
 * the state must match (`invalid_sign_in_state`), the provider must not report a refusal
 * (`sign_in_denied`), and a code must be present (`sign_in_failed`).
 */
function checkCallback(params: URLSearchParams, flow: FlowState): void {
  if (params.getAll('state').length !== 1 || params.get('state') !== flow.state) {
    throw invalidState('The state parameter does not match this browser’s sign-in');
  }
  const denied = params.get('error');
  if (denied !== null) {
    const description = params.get('error_description');
    throw new AppError(
      'sign_in_denied',
      `The identity provider did not sign you in: ${providerText(denied)}${description ? ` (${providerText(description)})` : ''}`,
      { extensions: { provider_error: providerText(denied) } },
    );
  }
  if (!params.get('code')) {
    throw new AppError('sign_in_failed', 'The callback carries no authorization code');
  }
}

/** The identity an ID token vouches for: it must carry an email the provider has verified. */
function identityOf(claims: client.IDToken | undefined): VerifiedIdentity {
  if (!claims) throw providerError('The identity provider returned no ID token');
  if (typeof claims.email !== 'string' || claims.email === '') {
    throw providerError('The identity provider did not share an email address');
  }
  if (claims.email_verified !== true) {
    throw new AppError(
      'email_not_verified',
      `The email ${providerText(claims.email)} is not verified by the identity provider`,
    );
  }
  return {
    subject: claims.sub,
    email: claims.email,
    name: typeof claims.name === 'string' && claims.name !== '' ? claims.name : null,
  };
}

export function createGoogleSignIn(options: GoogleSignInOptions): GoogleSignIn {
  const issuer = new URL(options.issuer);
  const redirectUri = new URL(options.redirectUri);
  const key = stateKey(options.jwtSecret);
  const timeout = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  // Config refuses http:// except on loopback, where local stand-ins play Google.
  const insecure = issuer.protocol === 'http:' && isLoopbackUrl(issuer);
  let discovered: Promise<client.Configuration> | undefined;

  /** Discovered on first use, so the service starts while the provider is away; failures are retried. */
  function configuration(): Promise<client.Configuration> {
    discovered ??= client
      .discovery(issuer, options.clientId, options.clientSecret, undefined, {
        timeout,
        execute: insecure ? [client.allowInsecureRequests] : [],
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw mapDiscoveryError(error);
      });
    return discovered;
  }

  return {
    redirectUri,

    async start() {
      const config = await configuration();
      const flow: FlowState = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
      };
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri.href,
        scope: SCOPE,
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl: authorizationUrl.href, stateCookie: await sealState(key, flow) };
    },

    async finish(callbackQuery, stateCookie) {
      const params = new URLSearchParams(callbackQuery);
      const flow = await openState(key, stateCookie);
      checkCallback(params, flow);
      const config = await configuration();
      const currentUrl = new URL(redirectUri);
      currentUrl.search = params.toString();
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, currentUrl, {
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          pkceCodeVerifier: flow.codeVerifier,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        throw mapGrantError(error);
      }
      return identityOf(claims);
    },
  };
}
