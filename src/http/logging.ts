import type { FastifyServerOptions } from 'fastify';

/** Header and body fields that carry credentials; pino replaces their values wherever they appear. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["x-paystack-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["x-paystack-signature"]',
  'api_key',
  '*.api_key',
];

/**
 * `url` as logged: the path and the query's parameter names, every query value replaced. Any value
 * may be a credential (`?api_key=sk_live_…`, `?access_token=…`, the OAuth callback's `code` and
 * `state`), so none is kept; a parameter without `=` may be a bare secret and is replaced whole.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const end = url.indexOf('#', start);
  const query = url.slice(start + 1, end === -1 ? undefined : end);
  const redacted = query
    .split('&')
    .map((parameter) => {
      if (parameter === '') return parameter;
      const equals = parameter.indexOf('=');
      return equals === -1 ? '[Redacted]' : `${parameter.slice(0, equals)}=[Redacted]`;
    })
    .join('&');
  return `${url.slice(0, start)}?${redacted}`;
}

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      req: (request) => ({
        method: request.method,
        url: redactUrl(request.url),
        remoteAddress: request.ip,
      }),
    },
    ...(stream ? { stream } : {}),
  };
}
