/**
 * Express 5 with the explicit one-liner, in-process: `app.use(sightline(options))` starts the
 * agent (after Express was imported: the loaded copy is instrumented) and reports to a real
 * intake server. The answers are compared with the same app in a process without the agent.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express from 'express5';
import { close, currentTraceIds, setTransactionName } from '@sightline/agent';
import { BODY_MAX_BYTES, SANITIZE_FIELD_NAMES, frameworkSuite } from '../../agent/test/fixtures/http/framework-suite.js';
import { sightline } from '../src/index.js';
import { EXPRESS_CASES } from './cases.js';
import { startPlain } from './zero-code-helpers.js';

const { buildApp } = createRequire(import.meta.url)('./fixtures/routes.cjs');

frameworkSuite('Express 5 with app.use(sightline())', {
  framework: { name: 'express', major: 5 },
  cases: EXPRESS_CASES,
  routesFile: 'test/fixtures/routes.cjs',
  concurrency: true,
  async startWithAgent(intakeUrl) {
    // As the child without the agent runs (Express's error pages without stacks).
    process.env.NODE_ENV = 'production';
    const middleware = sightline({
      serverUrl: intakeUrl,
      serviceName: 'express-plugin',
      flushIntervalMs: 20,
      metricsIntervalMs: 0,
      captureExceptions: false,
      // The intake server lives in this process too: its requests are not the app's.
      ignoreUrls: ['/intake/*'],
      sanitizeFieldNames: SANITIZE_FIELD_NAMES,
      captureBody: 'all',
      captureBodyMaxBytes: BODY_MAX_BYTES,
    });
    const app = buildApp(express, 5, { middleware, api: { currentTraceIds, setTransactionName } });
    const server: Server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async stop() {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await close();
      },
    };
  },
  startWithoutAgent: () => startPlain('app5.cjs'),
});
