import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorContext } from './context.js';
import { sendApiError } from './respond.js';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

export function handleOtlp(_signal: OtlpSignal) {
  return (_ctx: CollectorContext, _req: IncomingMessage, res: ServerResponse): void => {
    sendApiError(res, 501, 'OTLP intake is not implemented yet');
  };
}
