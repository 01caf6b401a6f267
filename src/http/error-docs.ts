import { ERRORS, type ErrorCode } from '../errors.ts';

/** One row of the error table: a code, or one of its variants, with the status it comes with. */
export interface ErrorRow {
  code: ErrorCode;
  status: number;
  title: string;
  description: string;
}

/** Every code in catalogue order, each variant on a row of its own after its code. */
export function errorRows(): ErrorRow[] {
  return (Object.keys(ERRORS) as ErrorCode[]).flatMap((code) => {
    const definition = ERRORS[code];
    const variants = 'variants' in definition ? Object.values(definition.variants) : [];
    return [definition, ...variants].map((row) => ({
      code,
      status: row.status,
      title: definition.title,
      description: row.description,
    }));
  });
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The catalogue as a Markdown table: code, status, title, and when a client gets it. */
export function errorTableMarkdown(): string {
  return [
    '| code | status | title | when, and what to do |',
    '| --- | --- | --- | --- |',
    ...errorRows().map(
      (row) => `| \`${row.code}\` | ${row.status} | ${cell(row.title)} | ${cell(row.description)} |`,
    ),
  ].join('\n');
}

/** The whole of `docs/ERRORS.md`, generated from the catalogue by `npm run docs:errors`. */
export function errorsMarkdown(): string {
  return `# Error codes

<!-- Generated from src/errors.ts by \`npm run docs:errors\`; edit the catalogue, not this file. -->

Every refusal is RFC 9457 problem details, sent as \`application/problem+json\`:

\`\`\`json
{
  "type": "urn:wallet:problem:insufficient_funds",
  "title": "Insufficient funds",
  "status": 422,
  "detail": "The wallet balance is too low for this transfer",
  "code": "insufficient_funds",
  "request_id": "6f1c0c8e-1d0b-4a4e-9a57-0d2f7c3b9e21"
}
\`\`\`

\`code\` is stable and part of the API: branch on it, never on \`title\` or \`detail\`. \`title\` is the
code's summary below; \`detail\` says what went wrong this time; \`request_id\` matches the
response's \`x-request-id\` and the service's log lines. Some codes add members, named in their
description. The OpenAPI document (\`GET /openapi.json\`) lists the same codes in its
\`ProblemDetails\` schema.

${errorTableMarkdown()}
`;
}
