import type { Queryable } from '../db/client.ts';
import { AppError } from '../errors.ts';
import { resolveApiKey } from './api-key-verify.ts';
import { verifyAccessToken } from './jwt.ts';
import type { Permission, Principal } from './permissions.ts';
import { hasPermission } from './permissions.ts';

export interface Credentials {
  authorization: string | undefined;
  apiKey: string | undefined;
}

export interface AuthenticationPolicy {
  /** Whether an API key may be used at all (never on `/keys*`). */
  allowApiKey: boolean;
  /** The permission an API key needs; JWT users hold every permission. */
  permission?: Permission;
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i;

export async function authenticate(
  credentials: Credentials,
  policy: AuthenticationPolicy,
  deps: { db: Queryable; jwtSecret: Uint8Array },
): Promise<Principal> {
  const { authorization, apiKey } = credentials;
  if (authorization !== undefined && apiKey !== undefined) {
    throw new AppError('ambiguous_credentials', 'Send either Authorization or x-api-key, not both');
  }
  if (apiKey !== undefined) {
    if (!policy.allowApiKey) {
      throw new AppError('permission_denied', 'API keys cannot be used on this route; sign in instead');
    }
    const principal = await resolveApiKey(deps.db, apiKey);
    if (policy.permission && !hasPermission(principal, policy.permission)) {
      throw new AppError('permission_denied', `This API key lacks the "${policy.permission}" permission`, {
        extensions: { required_permission: policy.permission },
      });
    }
    return principal;
  }
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match) throw new AppError('invalid_token', 'The Authorization header must be "Bearer <token>"');
    return { via: 'jwt', userId: await verifyAccessToken(match[1] as string, deps.jwtSecret) };
  }
  throw new AppError('unauthenticated', 'Send a Bearer token or an x-api-key header');
}
