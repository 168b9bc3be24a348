/**
 * Fastify 4 with the explicit plugin, in-process: `register(sightlinePlugin, options)` starts
 * the agent and adds the hooks, reporting to a real intake server. The answers are compared
 * with the same app in a process without the agent.
 */
import { createRequire } from 'node:module';
import fastify from 'fastify4';
import { close, currentTraceIds, setTransactionName } from '@sightline/agent';
import { BODY_MAX_BYTES, SANITIZE_FIELD_NAMES, frameworkSuite } from '../../agent/test/fixtures/http/framework-suite.js';
import { sightlinePlugin } from '../src/index.js';
import { FASTIFY_CASES } from './cases.js';
import { startPlain } from './zero-code-helpers.js';

const { buildApp } = createRequire(import.meta.url)('./fixtures/routes.cjs');

frameworkSuite('Fastify 4 with register(sightlinePlugin)', {
  framework: { name: 'fastify', major: 4 },
  cases: FASTIFY_CASES,
  routesFile: 'test/fixtures/routes.cjs',
  concurrency: true,
  async startWithAgent(intakeUrl) {
    const pluginOptions = {
      serverUrl: intakeUrl,
      serviceName: 'fastify-plugin',
      flushIntervalMs: 20,
      metricsIntervalMs: 0,
      captureExceptions: false,
      // The intake server lives in this process too: its requests are not the app's.
      ignoreUrls: ['/intake/*'],
      sanitizeFieldNames: SANITIZE_FIELD_NAMES,
      captureBody: 'all',
      captureBodyMaxBytes: BODY_MAX_BYTES,
    };
    const app = buildApp(fastify, 4, { plugin: sightlinePlugin, pluginOptions, api: { currentTraceIds, setTransactionName } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${app.server.address().port}`,
      async stop() {
        await app.close();
        await close();
      },
    };
  },
  startWithoutAgent: () => startPlain('app4.cjs'),
});
