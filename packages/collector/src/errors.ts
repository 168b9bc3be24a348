/**
 * Coded errors thrown for misuse at start-up (bad options, bad flags, unreachable database).
 * The request path never throws these: it answers with a status code instead.
 */
export const ERROR_CODES = {
  SIGHTLINE_ERR_COLLECTOR_OPTION: 'A collector option is invalid',
  SIGHTLINE_ERR_STORE_URL: 'The database location is not understood',
} as const;

export type CollectorErrorCode = keyof typeof ERROR_CODES;

export class CollectorError extends Error {
  readonly code: CollectorErrorCode;

  constructor(code: CollectorErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CollectorError';
    this.code = code;
  }
}
