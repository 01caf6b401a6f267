import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** One year, the value HSTS preload lists ask for. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

/**
 * Security headers on every response (SPEC "Limits and hardening"), through `@fastify/helmet`:
 * `X-Content-Type-Options: nosniff`; a Content-Security-Policy under which the service's own pages
 * (Swagger UI at `/docs`, the dev sign-in and checkout pages) work: scripts, styles and images from
 * the service alone, inline styles allowed (those pages and Swagger UI set them), no plugins, no
 * framing (`frame-ancestors 'none'` and `X-Frame-Options: DENY`). `form-action` is left out: the
 * sign-in and checkout forms post here and are then redirected to another origin (the client's
 * redirect URI, `PAYSTACK_CALLBACK_URL`), which browsers check against it. HSTS is sent only when the
 * request came over https (`request.protocol`, which believes a forwarded proto only from a trusted
 * proxy), as a browser ignores it over http and it must never pin a plain-http deployment.
 * Responses of routes that take credentials are `Cache-Control: no-store`, refusals included.
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    hsts: false,
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') {
      reply.header('strict-transport-security', `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    }
    if (request.routeOptions.config.auth !== undefined) reply.header('cache-control', 'no-store');
  });
}
