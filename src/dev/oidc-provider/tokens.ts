import { type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { IssuedCode } from './codes.ts';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key.ts';

export const TOKEN_TTL_SECONDS = 3600;

/** The audience of access tokens: the provider's own userinfo endpoint. */
function userinfoAudience(issuer: string): string {
  return `${issuer}/userinfo`;
}

/**
 * The ID token (for the client, `typ: JWT`) and the access token (for `/userinfo`, `typ: at+jwt`)
 * for a redeemed code, both signed with `key` and valid for TOKEN_TTL_SECONDS.
 */
export async function signTokens(
  key: SigningKey,
  issuer: string,
  issued: IssuedCode,
): Promise<{ idToken: string; accessToken: string }> {
  const claims = {
    email: issued.email,
    email_verified: issued.emailVerified,
    ...(issued.name === undefined ? {} : { name: issued.name }),
  };
  const idToken = await new SignJWT({
    ...claims,
    ...(issued.nonce === undefined ? {} : { nonce: issued.nonce }),
  })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(issued.clientId)
    .setSubject(issued.sub)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .sign(key.privateKey);
  const accessToken = await new SignJWT({ ...claims, scope: issued.scope, client_id: issued.clientId })
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(userinfoAudience(issuer))
    .setSubject(issued.sub)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .sign(key.privateKey);
  return { idToken, accessToken };
}

/** The claims of an access token this provider signed; throws (jose's errors) for any other token. */
export async function verifyAccessToken(key: SigningKey, issuer: string, token: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, key.publicKey, {
    algorithms: [SIGNING_ALGORITHM],
    issuer,
    audience: userinfoAudience(issuer),
    typ: 'at+jwt',
  });
  return payload;
}
