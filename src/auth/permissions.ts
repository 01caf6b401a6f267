import { AppError } from '../errors.ts';

export const PERMISSIONS = ['deposit', 'transfer', 'read', 'withdraw'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * The principal's wallet as the statement that checked the credentials read it: a read that needs
 * nothing more (the balance) is then one round trip to the database. A snapshot, never a cache:
 * it lives as long as its request. Amounts in kobo.
 */
export interface WalletSnapshot {
  readonly accountId: bigint;
  readonly walletNumber: string;
  readonly balance: bigint;
  readonly frozen: boolean;
  readonly debt: bigint;
}

/** Who is making a request, as established from its credentials, with their wallet when it was read then. */
export type Principal =
  | { readonly via: 'jwt'; readonly userId: string; readonly wallet?: WalletSnapshot }
  | {
      readonly via: 'api_key';
      readonly userId: string;
      readonly apiKeyId: string;
      /** SHA-256 of the key: what names it before it is looked up (its rate limit's counter). */
      readonly apiKeyHash: Buffer;
      readonly permissions: readonly Permission[];
      readonly wallet?: WalletSnapshot;
    };

/**
 * A well-formed API key not yet looked up, on a route whose own statement checks it (validity,
 * revocation, expiry and permission: `AuthenticationPolicy.checkedInStatement`), so that the
 * request is one round trip. Who it belongs to is known only once that statement has run.
 */
export interface UncheckedApiKey {
  readonly via: 'unchecked_api_key';
  /** SHA-256 of the key, as stored. */
  readonly apiKeyHash: Buffer;
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.via === 'jwt' || principal.permissions.includes(permission);
}

/**
 * The refusal of an API key that holds none of `anyOf`: `403 permission_denied`, naming them in
 * `required_permission` (one, or the list).
 */
export function lacksPermission(anyOf: readonly Permission[]): AppError {
  const named = anyOf.map((permission) => `"${permission}"`).join(' or ');
  return new AppError('permission_denied', `This API key lacks the ${named} permission`, {
    extensions: { required_permission: anyOf.length === 1 ? anyOf[0] : anyOf },
  });
}

/**
 * The refusal for valid credentials whose user no longer exists (deleted after the token or key
 * was issued): every user gets a wallet at first sign-in, so a missing user row or own wallet
 * means this. SPEC: `401 invalid_token`.
 */
export function signedInUserGone(): AppError {
  return new AppError('invalid_token', 'The signed-in user no longer exists');
}
