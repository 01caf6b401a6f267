import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import {
  ForbiddenKeyError,
  InexactNumberError,
  isStorableText,
  parseJsonExactly,
  UnstorableTextError,
} from '../exact-json.ts';

/**
 * The service's JSON bodies and request text, read once for every route:
 *
 * - JSON bodies are parsed exactly (`src/exact-json.ts`): a number literal that is not a whole
 *   number within ±2^53 (`100.000000000000001`, `1e400`) is `400 validation_failed` whatever its
 *   spelling, so no amount is rounded on its way in; every number in a body is an amount in kobo.
 * - Text PostgreSQL cannot store (U+0000, lone surrogates) is `400 validation_failed` wherever it
 *   comes from: a JSON string or key, a path or query parameter, a header. Node's HTTP parser
 *   already refuses NUL in a header; the check covers what it lets through.
 *
 * A plugin that reads its bodies otherwise (the Paystack webhook keeps the bytes it verifies)
 * replaces the parser in its own scope; the header, path and query check still applies there.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonExactly(body as string));
    } catch (error) {
      done(asBodyRefusal(error), undefined);
    }
  });
  app.addHook('preValidation', async (request) => {
    const field = unstorableField(request);
    if (field !== undefined) {
      throw new AppError(
        'validation_failed',
        `${field}: contains U+0000 or an unpaired surrogate, which this service cannot store`,
      );
    }
  });
}

/** The problem a body the exact parser refused becomes; a syntax error stays one (`invalid_json`). */
function asBodyRefusal(error: unknown): Error {
  if (error instanceof InexactNumberError) {
    return new AppError(
      'validation_failed',
      `body.${error.key || 'value'}: ${error.literal} is not a whole number of kobo; send an integer ` +
        '(₦5,000 is 500000)',
    );
  }
  if (error instanceof UnstorableTextError) {
    return new AppError(
      'validation_failed',
      `body${error.key ? `.${error.key}` : ''}: contains U+0000 or an unpaired surrogate, which this service cannot store`,
    );
  }
  if (error instanceof ForbiddenKeyError) return new AppError('validation_failed', `body: ${error.message}`);
  if (error instanceof SyntaxError) return Object.assign(error, { statusCode: 400 });
  return error instanceof Error ? error : new Error(String(error));
}

/** The first path parameter, query parameter or header holding text PostgreSQL cannot store. */
function unstorableField(request: FastifyRequest): string | undefined {
  const sources: [string, unknown][] = [
    ['params', request.params],
    ['querystring', request.query],
    ['headers', request.headers],
  ];
  for (const [where, values] of sources) {
    if (typeof values !== 'object' || values === null) continue;
    for (const [name, value] of Object.entries(values)) {
      const texts = Array.isArray(value) ? value : [value];
      if (!isStorableText(name) || texts.some((text) => typeof text === 'string' && !isStorableText(text))) {
        return `${where}.${isStorableText(name) ? name : 'name'}`;
      }
    }
  }
  return undefined;
}
