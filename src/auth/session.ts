import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Queryable } from '../db/client.ts';
import { users } from '../db/schema.ts';

/**
 * The web wallet's session cookie: it carries the same JWT an API client gets from the callback,
 * so a cookie principal is a signed-in user in every respect (permissions, rate limits, a deleted
 * user refused). The page never sees it (`HttpOnly`); it holds only the CSRF token below.
 */
export const SESSION_COOKIE = 'wallet_session';

/**
 * The session cookie's name over https: the `__Host-` prefix makes the browser refuse it unless it
 * is `Secure`, has `Path=/` and no `Domain`, so a sibling subdomain cannot plant one (RFC 6265bis,
 * "Cookie Name Prefixes").
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The session cookie's name when set `Secure` (over https) or not. */
export function sessionCookieName(secure: boolean): string {
  return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/** How many cookies named `name` a `Cookie` header carries: a browser sends one per matching path and domain. */
export function cookieCount(header: string | undefined, name: string): number {
  if (header === undefined) return 0;
  return header.split(';').filter((pair) => pair.trim().split('=', 1)[0] === name).length;
}

/** The header a cookie-authenticated state-changing request must carry the CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** One derived key per JWT secret, so a CSRF token is never a MAC anything else would accept. */
const csrfKeys = new WeakMap<Uint8Array, Buffer>();
function csrfKey(jwtSecret: Uint8Array): Buffer {
  let key = csrfKeys.get(jwtSecret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', jwtSecret, new Uint8Array(0), 'wallet-service csrf token', 32));
    csrfKeys.set(jwtSecret, key);
  }
  return key;
}

/**
 * The CSRF token of a session: HMAC-SHA256 of the session's JWT under a key derived from the JWT
 * secret, base64url (43 characters). It is tied to that one session (a new sign-in gets a new
 * token) and needs no storage; only a page of the service's own origin can read it (from
 * `GET /auth/session`, which no other origin may read as the service sends no CORS headers).
 */
export function csrfTokenOf(sessionToken: string, jwtSecret: Uint8Array): string {
  return createHmac('sha256', csrfKey(jwtSecret)).update(sessionToken).digest('base64url');
}

/** Whether `given` is the CSRF token of `sessionToken`, compared in constant time. */
export function csrfTokenMatches(
  sessionToken: string,
  given: string | undefined,
  jwtSecret: Uint8Array,
): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken, jwtSecret));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Who is signed in, for the page's header: `undefined` when the user no longer exists. */
export async function findUser(
  db: Queryable,
  userId: string,
): Promise<{ id: string; email: string; name: string | null } | undefined> {
  const [user] = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(eq(users.id, userId));
  return user;
}
