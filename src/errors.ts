/**
 * The one error type the domain throws. `code` is part of the API (clients branch on it); the
 * HTTP layer renders it as RFC 9457 problem details with `status`.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra members for the problem body, e.g. the missing permission. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Asserts an invariant of the money path; a failure is a bug, never a user error. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violated: ${message}`);
}
