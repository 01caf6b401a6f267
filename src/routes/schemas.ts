import { Type } from '@fastify/type-provider-typebox';

/** A UUID in its canonical form, the only one PostgreSQL's uuid type reads. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * An id taken from a request. Not Ajv's `uuid` format: that also takes a `urn:uuid:` prefix, which
 * PostgreSQL refuses, so such a value would reach SQL and fail there instead of at the edge.
 */
export function uuidString(description: string) {
  return Type.String({ pattern: UUID_PATTERN, description });
}
