/**
 * Coded errors thrown at start-up for misuse (bad config, bad arguments).
 * Nothing on the request path throws one of these into the application.
 */
export const ERROR_CODES = {
  SIGHTLINE_ERR_CONFIG_INVALID: 'A configuration value is invalid',
  SIGHTLINE_ERR_CONFIG_UNKNOWN: 'An unknown configuration option was given',
  SIGHTLINE_ERR_ALREADY_STARTED: 'The agent was started twice with different options',
  SIGHTLINE_ERR_INVALID_ARGUMENT: 'An API function was called with an invalid argument',
} as const;

export type SightlineErrorCode = keyof typeof ERROR_CODES;

export class SightlineError extends Error {
  readonly code: SightlineErrorCode;

  constructor(code: SightlineErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SightlineError';
    this.code = code;
  }
}
