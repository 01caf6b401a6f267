import type { FastifyInstance } from 'fastify';
import type { SigningKey } from './signing-key.ts';
import { verifyAccessToken } from './tokens.ts';

/** `GET /userinfo`: the signed-in person's claims for a valid access token; 401 for anything else. */
export function registerUserinfoEndpoint(
  app: FastifyInstance,
  options: { issuer: string; key: SigningKey },
): void {
  const { issuer, key } = options;
  app.get('/userinfo', { schema: { hide: true } }, async (request, reply) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    try {
      if (token === undefined) throw new Error('no bearer token');
      const payload = await verifyAccessToken(key, issuer, token);
      return reply.header('cache-control', 'no-store').send({
        sub: payload.sub,
        email: payload.email,
        email_verified: payload.email_verified,
        ...(payload.name === undefined ? {} : { name: payload.name }),
      });
    } catch {
      return reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send({
        error: 'invalid_token',
        error_description: 'the access token is missing, invalid or expired',
      });
    }
  });
}
