/**
 * Fastify 4 with no code change: `node --import @sightline/agent/register` in CommonJS and
 * ES module apps, checked on the events shipped to a real intake server.
 */
import { frameworkSuite } from '../../agent/test/fixtures/http/framework-suite.js';
import { FASTIFY_CASES } from './cases.js';
import { startPlain, startZeroCode } from './zero-code-helpers.js';

for (const file of ['app4.cjs', 'app4.mjs']) {
  frameworkSuite(`Fastify 4 zero-code, ${file.endsWith('.mjs') ? 'ES module' : 'CommonJS'} app`, {
    framework: { name: 'fastify', major: 4 },
    cases: FASTIFY_CASES,
    routesFile: 'test/fixtures/routes.cjs',
    // Once per framework version in child processes (the plugin suites run it in-process too).
    concurrency: file.endsWith('.mjs'),
    startWithAgent: (intakeUrl) => startZeroCode(file, intakeUrl),
    startWithoutAgent: () => startPlain(file),
  });
}

// Both at once (the register entry and the plugin): hooks added once, one transaction per request, errors once.
frameworkSuite('Fastify 4 zero-code and register(sightlinePlugin) together, CommonJS app', {
  framework: { name: 'fastify', major: 4 },
  cases: FASTIFY_CASES,
  routesFile: 'test/fixtures/routes.cjs',
  startWithAgent: (intakeUrl) => startZeroCode('app4.cjs', intakeUrl, { WITH_PLUGIN: '1' }),
  startWithoutAgent: () => startPlain('app4.cjs'),
});
