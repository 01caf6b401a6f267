import { eq, sql } from 'drizzle-orm';
import { preparedPerDatabase, type Queryable } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { findWalletByUser } from '../ledger/wallets.ts';
import { API_KEY_PREFIX } from './api-key-format.ts';
import { apiKeyHashOf, resolveApiKey } from './api-key-verify.ts';
import { verifyAccessToken } from './jwt.ts';
import type { Permission, Principal, UncheckedApiKey } from './permissions.ts';
import { hasPermission, lacksPermission, signedInUserGone } from './permissions.ts';

export interface Credentials {
  authorization: string | undefined;
  apiKey: string | undefined;
  /**
   * The web wallet's session cookie (a JWT, `SESSION_COOKIE`), used only when neither header is
   * sent: an API client's explicit credential always wins over a cookie its browser happens to hold.
   */
  session?: string | undefined;
  /**
   * Whether a `checkedInStatement` route may take this request's API key unchecked: not when the
   * request needs its user before its statement runs (an Idempotency-Key is scoped by user).
   */
  keyCheckable?: boolean;
}

export interface AuthenticationPolicy {
  /** Whether an API key may be used at all (never on `/keys*`). */
  allowApiKey: boolean;
  /** The permission an API key needs, or a list of which it needs any one; JWT users hold every permission. */
  permission?: Permission | readonly Permission[];
  /**
   * The route reads the principal's wallet: the credential check then reads it in its own
   * statement (`principal.wallet`), saving the route a round trip. Other routes leave it out, as
   * reading it would cost every request the joins.
   */
  readsWallet?: boolean;
  /**
   * The route's domain call checks an API key in the statement that does its work, so the check
   * here needs no database and the request is one round trip: a key whose format and checksum
   * pass becomes an `UncheckedApiKey`, which that statement checks for validity, revocation,
   * expiry and the route's `permission`. Only for a key that `Credentials.keyCheckable` allows;
   * tokens are checked here as on every route.
   */
  checkedInStatement?: boolean;
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i;

/**
 * The principal behind a protected route's credentials (a Bearer JWT, an `x-api-key`, or else the
 * web wallet's session cookie, which is the same JWT and makes the same principal), checked
 * against `policy`. Throws AppError: `400 ambiguous_credentials` (both headers sent),
 * `401 unauthenticated` (none), `401 invalid_token` (a bad token or session, an API key sent as a
 * Bearer token, or a token whose user no longer exists), the API key refusals of `resolveApiKey`,
 * `403 permission_denied`. On a `checkedInStatement` route a checkable API key comes back as an
 * `UncheckedApiKey`, its checks that need the database left to the route's statement.
 */
export async function authenticate(
  credentials: Credentials,
  policy: AuthenticationPolicy,
  deps: { db: Queryable; jwtSecret: Uint8Array },
): Promise<Principal | UncheckedApiKey> {
  const { authorization, apiKey } = credentials;
  if (authorization !== undefined && apiKey !== undefined) {
    throw new AppError('ambiguous_credentials', 'Send either Authorization or x-api-key, not both');
  }
  if (apiKey !== undefined) {
    if (!policy.allowApiKey) {
      throw new AppError('permission_denied', 'API keys cannot be used on this route; sign in instead');
    }
    if (policy.checkedInStatement && credentials.keyCheckable) {
      return { via: 'unchecked_api_key', apiKeyHash: apiKeyHashOf(apiKey) };
    }
    const principal = await resolveApiKey(deps.db, apiKey, { withWallet: policy.readsWallet === true });
    const anyOf = policy.permission === undefined ? [] : [policy.permission].flat();
    if (anyOf.length > 0 && !anyOf.some((permission) => hasPermission(principal, permission))) {
      throw lacksPermission(anyOf);
    }
    return principal;
  }
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match) throw new AppError('invalid_token', 'The Authorization header must be "Bearer <token>"');
    const token = match[1] as string;
    if (token.startsWith(API_KEY_PREFIX)) {
      throw new AppError(
        'invalid_token',
        'This is an API key, not an access token: send it in the x-api-key header, not Authorization',
      );
    }
    return signedInUser(token, policy, deps);
  }
  if (credentials.session !== undefined && credentials.session !== '') {
    return signedInUser(credentials.session, policy, deps);
  }
  throw new AppError('unauthenticated', 'Send a Bearer token or an x-api-key header');
}

/** Runs on every request made with a token, so it is prepared once; a primary-key probe. */
const userExists = preparedPerDatabase((db) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(eq(users.id, sql.placeholder('userId')))
    .prepare('user_exists'),
);

async function signedInUser(
  token: string,
  policy: AuthenticationPolicy,
  deps: { db: Queryable; jwtSecret: Uint8Array },
): Promise<Principal> {
  const userId = await verifyAccessToken(token, deps.jwtSecret);
  // Every route, not each domain call, must refuse a deleted user's still-valid token. Every user
  // has a wallet from the first sign-in, so on a route that reads it, reading it is that check.
  if (policy.readsWallet) {
    const wallet = await findWalletByUser(deps.db, userId);
    if (!wallet) throw signedInUserGone();
    return { via: 'jwt', userId, wallet };
  }
  const [user] = await userExists(deps.db).execute({ userId });
  if (!user) throw signedInUserGone();
  return { via: 'jwt', userId };
}
