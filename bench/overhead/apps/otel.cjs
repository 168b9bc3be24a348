'use strict';
// The OpenTelemetry variant: the Node SDK with every auto-instrumentation at its defaults,
// the default sampler (parent-based, always on: 100%) and the OTLP/HTTP exporter (JSON),
// shipping to the same collector as Sightline (its /v1/traces). Loaded with --require.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME || 'bench-otel',
  traceExporter: new OTLPTraceExporter({ url: `${process.env.BENCH_COLLECTOR_URL}/v1/traces` }),
  instrumentations: [getNodeAutoInstrumentations()],
});
sdk.start();
process.on('SIGTERM', () => {
  sdk.shutdown().finally(() => process.exit(0));
});
