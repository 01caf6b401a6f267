import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** How long one export to the collector may take; a stuck collector must not hold the process. */
const EXPORT_TIMEOUT_MS = 10_000;
/** Spans kept while the collector is slow; beyond it new spans are dropped, never memory grown. */
const MAX_QUEUED_SPANS = 2_048;
const MAX_EXPORT_BATCH = 512;
const EXPORT_INTERVAL_MS = 1_000;

export interface Tracing {
  /** Exports what is queued and stops; call it last on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Traces every request, database query and outbound `fetch` (SPEC "Operations"), exported over
 * OTLP/HTTP (JSON) to `${endpoint}/v1/traces`, as the OpenTelemetry exporter specification builds
 * the URL from OTEL_EXPORTER_OTLP_ENDPOINT. Requests are traced by Fastify's own instrumentation
 * (`@fastify/otel`, which also reads an incoming `traceparent`), queries by the `pg` instrumentation
 * and Paystack calls by the undici one (Node's `fetch`), all children of the request's span.
 *
 * Call it before Fastify and `pg` are imported: the `pg` instrumentation patches the module as it
 * loads, through import-in-the-middle's loader hooks, registered here. `server.ts` imports this
 * module only when the endpoint is set, so an untraced process loads none of OpenTelemetry.
 */
export function startTracing(endpoint: string, serviceName = 'wallet-service'): Tracing {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: EXPORT_TIMEOUT_MS });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: MAX_QUEUED_SPANS,
        maxExportBatchSize: MAX_EXPORT_BATCH,
        scheduledDelayMillis: EXPORT_INTERVAL_MS,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new FastifyOtelInstrumentation({ registerOnInitialization: true }),
      // Statement text only, never its parameters: they carry user ids and amounts.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new UndiciInstrumentation(),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}
