import type { SwaggerTransformObject } from '@fastify/swagger';
import { Type } from 'typebox';
import { ERRORS, type ErrorCode } from '../errors.ts';
import { errorTableMarkdown } from './error-docs.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';

/** The body of every refusal, as `problem()` builds it; `code` is one of the catalogue's. */
export const ProblemDetails = Type.Object(
  {
    type: Type.String({ description: '`urn:wallet:problem:` followed by the code' }),
    title: Type.String({ description: 'The code’s summary' }),
    status: Type.Integer({ description: 'The response’s HTTP status' }),
    detail: Type.String({ description: 'What went wrong this time' }),
    code: Type.Enum(Object.keys(ERRORS) as ErrorCode[], {
      description:
        'Stable: clients branch on it. The API description lists each with its status and meaning.',
    }),
    request_id: Type.String({
      description: 'The response’s `x-request-id`, which the service’s logs carry too',
    }),
  },
  {
    description: 'RFC 9457 problem details. Some codes add members, named in their description.',
    additionalProperties: true,
  },
);

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const problemResponse = {
  description: 'A refusal: problem details whose `code` says which',
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
};

/**
 * Adds the error catalogue to the generated OpenAPI document: the `ProblemDetails` schema, a
 * `default` response of it on every operation, and the table of codes in the API's description.
 * For the document only: the routes' own response schemas stay as they are, so no refusal is
 * ever serialized through a schema that could drop its extra members.
 */
export const documentProblems: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const document = documentObject.openapiObject;
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ProblemDetails },
  };
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(pathItem ?? {})) {
      if (!HTTP_METHODS.has(method)) continue;
      const { responses } = operation as { responses?: Record<string, unknown> };
      if (responses) responses.default = problemResponse;
    }
  }
  if (document.info) {
    document.info.description = [document.info.description, '## Error codes', errorTableMarkdown()]
      .filter(Boolean)
      .join('\n\n');
  }
  return document;
};
