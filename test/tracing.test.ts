import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres, type TestDatabase } from './support/database.ts';
import { json } from './support/http.ts';
import { type ServiceProcess, startServiceProcess, timeoutForStarts } from './support/service-process.ts';
import { signInThroughProvider } from './support/sign-in.ts';
import { waitFor } from './support/wait.ts';

/** A span as OTLP/HTTP's JSON encoding carries it (ids in hex). */
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

interface ExportRequest {
  resourceSpans: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { scope?: { name: string }; spans: (ExportedSpan & { scope?: string })[] }[];
  }[];
}

/** A local OTLP/HTTP collector: keeps every span posted to /v1/traces, with its scope's name. */
class Collector {
  readonly spans: (ExportedSpan & { scope: string })[] = [];
  readonly services = new Set<string>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method === 'POST' && request.url === '/v1/traces') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
          for (const resourceSpans of body.resourceSpans) {
            for (const attribute of resourceSpans.resource?.attributes ?? []) {
              if (attribute.key === 'service.name' && attribute.value.stringValue) {
                this.services.add(attribute.value.stringValue);
              }
            }
            for (const scopeSpans of resourceSpans.scopeSpans) {
              for (const span of scopeSpans.spans)
                this.spans.push({ ...span, scope: scopeSpans.scope?.name ?? '' });
            }
          }
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function attribute(span: ExportedSpan, key: string): unknown {
  const found = span.attributes?.find((entry) => entry.key === key);
  return found === undefined ? undefined : Object.values(found.value)[0];
}

const dataDir = mkdtempSync(join(tmpdir(), 'wallet-tracing-'));
const collector = new Collector();
let database: TestDatabase | undefined;
let service: ServiceProcess;

beforeAll(async () => {
  const endpoint = await collector.listen();
  database = onPostgres ? await createTestDatabase() : undefined;
  service = await startServiceProcess({
    env: {
      DATA_DIR: dataDir,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      ...(database?.url === undefined ? {} : { DATABASE_URL: database.url }),
    },
  });
}, timeoutForStarts(1));
afterAll(async () => {
  await service?.stop();
  await database?.drop();
  await collector.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('tracing with OTEL_EXPORTER_OTLP_ENDPOINT', { timeout: timeoutForStarts(1) }, () => {
  it('exports one request as one trace: its Fastify span, its Paystack call and its queries, linked to their parents', async () => {
    const { access_token: token } = await signInThroughProvider(service.url, 'traced@example.com');
    const response = await fetch(`${service.url}/wallet/deposit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 150_000 }),
    });
    expect(response.status).toBe(201);
    const { reference } = await json(response);

    // The request's own span: Fastify's, for POST /wallet/deposit.
    const isDepositRequest = (span: ExportedSpan & { scope: string }) =>
      span.scope === '@fastify/otel' && attribute(span, 'http.route') === '/wallet/deposit';
    await waitFor(() => collector.spans.some(isDepositRequest), 15_000);
    const root = collector.spans.find((span) => isDepositRequest(span) && span.name === 'request');
    expect(root, JSON.stringify(collector.spans.map((span) => [span.scope, span.name]))).toBeDefined();
    if (root === undefined) return;
    expect(root.parentSpanId ?? '').toBe('');
    expect(collector.services).toContain('wallet-service');

    // Its Paystack call (the simulator, here over real HTTP): a client span by undici.
    await waitFor(
      () =>
        collector.spans.some(
          (span) => span.traceId === root.traceId && span.scope.includes('undici') && span.kind === 3,
        ),
      15_000,
    );
    const inTrace = collector.spans.filter((span) => span.traceId === root.traceId);
    const byId = new Map(inTrace.map((span) => [span.spanId, span]));
    // Every span of the trace but the root hangs from another span of the same trace.
    for (const span of inTrace) {
      if (span === root) continue;
      expect(
        byId.has(span.parentSpanId ?? ''),
        `${span.scope} ${span.name} has its parent in the trace`,
      ).toBe(true);
    }
    const paystackCall = inTrace.find((span) => span.scope.includes('undici') && span.kind === 3);
    expect(String(attribute(paystackCall as ExportedSpan, 'url.full'))).toContain('/transaction/initialize');

    // The simulator's side of that call joined the same trace through the traceparent header.
    expect(
      inTrace.some(
        (span) => span.scope === '@fastify/otel' && span.parentSpanId !== undefined && span !== root,
      ),
    ).toBe(true);

    // On PostgreSQL, the request's queries are spans of the trace too; their parameters are not.
    if (onPostgres) {
      const queries = inTrace.filter((span) => span.scope.includes('instrumentation-pg'));
      expect(queries.length).toBeGreaterThan(0);
      for (const query of queries) {
        expect(JSON.stringify(query.attributes)).not.toContain(reference);
        expect(JSON.stringify(query.attributes)).not.toContain('150000');
      }
    }
  });
});
