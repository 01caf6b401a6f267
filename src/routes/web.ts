import type { FastifyPluginAsync } from 'fastify';
import type { WebAsset } from '../http/web-assets.ts';

/**
 * The web wallet (SPEC "The web wallet"): `GET /` and its module files, from memory. The page
 * talks to the same JSON API as every client; these routes only hand it its files. `no-cache`
 * makes the browser revalidate, so a restarted service never runs a page older than itself.
 */
export const webRoutes: FastifyPluginAsync<{ assets: ReadonlyMap<string, WebAsset> }> = async (
  app,
  { assets },
) => {
  for (const [url, asset] of assets) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(asset.contentType).header('cache-control', 'no-cache').send(asset.body),
    );
  }
};
