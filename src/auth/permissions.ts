import { AppError } from '../errors.ts';

export const PERMISSIONS = ['deposit', 'transfer', 'read', 'withdraw'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Who is making a request, as established from its credentials. */
export type Principal =
  | { readonly via: 'jwt'; readonly userId: string }
  | {
      readonly via: 'api_key';
      readonly userId: string;
      readonly apiKeyId: string;
      readonly permissions: readonly Permission[];
    };

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.via === 'jwt' || principal.permissions.includes(permission);
}

/**
 * The refusal for valid credentials whose user no longer exists (deleted after the token or key
 * was issued): every user gets a wallet at first sign-in, so a missing user row or own wallet
 * means this. SPEC: `401 invalid_token`.
 */
export function signedInUserGone(): AppError {
  return new AppError('invalid_token', 'The signed-in user no longer exists');
}
