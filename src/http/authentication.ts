import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../auth/authenticate.ts';
import type { Principal } from '../auth/permissions.ts';
import type { Queryable } from '../db/client.ts';
import { AppError } from '../errors.ts';
import type { FailedApiKeyCounter } from './rate-limit.ts';

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) {
    throw new AppError('ambiguous_credentials', `Send the ${name} header once`);
  }
  return value;
}

/**
 * Routes opt in with `config.auth`; this turns their credentials into `request.principal` before
 * anything else runs, and documents each route's security and required permission in OpenAPI.
 */
export function registerAuthentication(
  app: FastifyInstance,
  deps: { db: Queryable; jwtSecret: Uint8Array; countFailedApiKey: FailedApiKeyCounter },
): void {
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const policy = route.config?.auth;
    if (!policy) return;
    const anyOf = policy.permission === undefined ? [] : [policy.permission].flat();
    const named = anyOf.map((permission) => `\`${permission}\``).join(' or ');
    const access = !policy.allowApiKey
      ? 'Bearer JWT only; API keys are refused.'
      : anyOf.length === 0
        ? 'Bearer JWT, or any API key.'
        : `Bearer JWT, or an API key with the ${named} permission.`;
    // A copy, never the route's own object: a schema may be a module constant that every app
    // built in this process registers, and must not collect one access note per app.
    const schema: Record<string, unknown> = { ...route.schema };
    schema.security = policy.allowApiKey ? [{ bearerAuth: [] }, { apiKeyAuth: [] }] : [{ bearerAuth: [] }];
    if (policy.permission) schema['x-required-permission'] = policy.permission;
    schema.description = [schema.description, `**Access:** ${access}`].filter(Boolean).join('\n\n');
    route.schema = schema;
  });

  app.addHook('onRequest', async (request, reply) => {
    const policy = request.routeOptions.config.auth;
    if (!policy) return;
    const apiKey = singleHeader(request, 'x-api-key');
    try {
      request.principal = await authenticate(
        { authorization: singleHeader(request, 'authorization'), apiKey },
        policy,
        deps,
      );
    } catch (error) {
      // Only refused keys are counted (and, past the allowance, answered 429 instead of 401).
      if (apiKey !== undefined && error instanceof AppError && error.status === 401) {
        await deps.countFailedApiKey(request, reply);
      }
      throw error;
    }
  });
}

/** The principal of a protected route's request; reaching a handler without one is a bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`Route ${request.routeOptions.url} has no auth policy`);
  return request.principal;
}
