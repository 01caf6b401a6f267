import { expect } from 'vitest';

// Tests read response bodies loosely and assert on their shape with expect().
// biome-ignore lint/suspicious/noExplicitAny: test-only access to parsed JSON
export type JsonBody = any;

export async function json(response: Response): Promise<JsonBody> {
  return (await response.json()) as JsonBody;
}

/** Asserts an RFC 9457 problem response with the given status and code, and returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<JsonBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = await json(response);
  expect(body).toMatchObject({ status, code, type: `urn:wallet:problem:${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}
