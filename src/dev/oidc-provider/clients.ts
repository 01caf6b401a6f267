import { sameSecret } from '../same-secret.ts';
import { OAuthError, single } from './oauth-errors.ts';

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  /** Compared exactly, as Google does. */
  redirectUris: readonly string[];
}

/** The registered clients by client id. */
export type OidcClients = ReadonlyMap<string, OidcClient>;

/**
 * The client calling the token endpoint, by `client_secret_basic` (the `Authorization` header)
 * or `client_secret_post` (the form), never both. Throws OAuthError: 400 `invalid_request` for two
 * methods or ids that differ, 401 `invalid_client` for anything else that does not authenticate.
 */
export function authenticateClient(
  clients: OidcClients,
  authorization: string | undefined,
  body: unknown,
): OidcClient {
  const postedId = single(body, 'client_id');
  const postedSecret = single(body, 'client_secret');
  let clientId = postedId;
  let secret = postedSecret;
  if (authorization?.startsWith('Basic ')) {
    if (postedSecret !== undefined) {
      throw new OAuthError(400, 'invalid_request', 'use one client authentication method, not two');
    }
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials');
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    const formDecode = (value: string) => decodeURIComponent(value.replaceAll('+', ' '));
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials');
    }
    if (postedId !== undefined && postedId !== clientId) {
      throw new OAuthError(
        400,
        'invalid_request',
        'client_id in the body differs from the Basic credentials',
      );
    }
  }
  const client = clientId === undefined ? undefined : clients.get(clientId);
  if (!client || secret === undefined || !sameSecret(secret, client.clientSecret)) {
    throw new OAuthError(401, 'invalid_client', 'client authentication failed');
  }
  return client;
}
