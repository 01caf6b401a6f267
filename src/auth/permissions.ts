export const PERMISSIONS = ['deposit', 'transfer', 'read'] as const;
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
