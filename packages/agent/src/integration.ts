/**
 * `@sightline/agent/integration`: what framework plugins (@sightline/express,
 * @sightline/fastify) and instrumentations build on. Not for application code; it may
 * change between minor versions.
 */
export { Agent } from './agent.js';
export { startAgent, getAgent, agentOrInactive } from './instance.js';
export {
  currentActive,
  currentTransaction,
  currentSpan,
  runWithActive,
  enterActive,
  bindActive,
  suppressTracing,
  isTracingSuppressed,
} from './trace/context.js';
export type { Active } from './trace/context.js';
export { Transaction } from './trace/transaction.js';
export { Span } from './trace/span.js';
export { Tracer } from './trace/tracer.js';
export type { StartTransactionOptions, TransactionEndHook, SpanEndProcessor } from './trace/tracer.js';
export { logger } from './log.js';
export { compileNameMatcher, sanitizeHeaders, sanitizeQuery, stripUrlCredentials, REDACTED } from './sanitize.js';
export type { NameMatcher } from './sanitize.js';
export type { ModulePatch, ModuleInfo, ChannelInstrumentation } from './instrument/types.js';
export { kTransaction, requestTransaction, startRequestTransaction, captureRequestError, noteFramework } from './instrument/http-server.js';
export { instrumentLoadedExpress } from './instrument/express.js';
export { installFastifyHooks } from './instrument/fastify.js';
