import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/read.js';
import { CONFIG_TABLE } from '../src/config/table.js';
import { SightlineError } from '../src/error-codes.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SightlineError).code;
  }
  return undefined;
}

describe('config', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = readConfig({}, {});
    expect(config.serverUrl).toBe('http://127.0.0.1:8200');
    expect(config.sampleRate).toBe(1);
    expect(config.active).toBe(true);
    expect(config.transactionMaxSpans).toBe(500);
    expect(config.logLevel).toBe('warn');
    expect(config.secretToken).toBeNull();
  });

  it('takes the service name from the package.json of the app when not set', () => {
    const config = readConfig({}, {});
    // vitest runs from the repository root, whose package.json is named "sightline".
    expect(config.serviceName).toBe('sightline');
  });

  it('reads every option from its environment variable', () => {
    const config = readConfig(
      {},
      {
        SIGHTLINE_SERVICE_NAME: 'checkout',
        SIGHTLINE_SERVER_URL: 'http://collector:9000/',
        SIGHTLINE_SECRET_TOKEN: 's3cret',
        SIGHTLINE_API_KEY: 'k3y',
        SIGHTLINE_ENVIRONMENT: 'staging',
        SIGHTLINE_SAMPLE_RATE: '0.25',
        SIGHTLINE_ACTIVE: 'false',
        SIGHTLINE_LOG_LEVEL: 'DEBUG',
        SIGHTLINE_GLOBAL_LABELS: 'region=eu, tier=web',
        SIGHTLINE_SANITIZE_FIELD_NAMES: 'password, *secret*',
        SIGHTLINE_FLUSH_INTERVAL: '250ms',
        SIGHTLINE_SERVER_TIMEOUT: '5s',
      },
    );
    expect(config.serviceName).toBe('checkout');
    expect(config.serverUrl).toBe('http://collector:9000');
    expect(config.secretToken).toBe('s3cret');
    expect(config.apiKey).toBe('k3y');
    expect(config.environment).toBe('staging');
    expect(config.sampleRate).toBe(0.25);
    expect(config.active).toBe(false);
    expect(config.logLevel).toBe('debug');
    expect(config.globalLabels).toEqual({ region: 'eu', tier: 'web' });
    expect(config.sanitizeFieldNames).toEqual(['password', '*secret*']);
    expect(config.flushIntervalMs).toBe(250);
    expect(config.serverTimeoutMs).toBe(5000);
  });

  it('lets start() options win over the environment', () => {
    const config = readConfig({ serviceName: 'from-code', sampleRate: 0.5 }, { SIGHTLINE_SERVICE_NAME: 'from-env', SIGHTLINE_SAMPLE_RATE: '0.1' });
    expect(config.serviceName).toBe('from-code');
    expect(config.sampleRate).toBe(0.5);
  });

  it('is frozen', () => {
    const config = readConfig({}, {});
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['SIGHTLINE_SAMPLE_RATE', '1.5', /SIGHTLINE_SAMPLE_RATE is "1.5"; it must be a number from 0 to 1/],
    ['SIGHTLINE_SAMPLE_RATE', 'half', /must be a number from 0 to 1/],
    ['SIGHTLINE_SERVER_URL', 'ftp://x', /must be an http:\/\/ or https:\/\/ URL/],
    ['SIGHTLINE_ACTIVE', 'maybe', /must be true or false/],
    ['SIGHTLINE_LOG_LEVEL', 'loud', /must be one of "trace", "debug", "info", "warn", "error", "off"/],
    ['SIGHTLINE_SERVICE_NAME', 'my/service', /letters, digits, spaces/],
    ['SIGHTLINE_TRANSACTION_MAX_SPANS', '2.5', /an integer from -1/],
    ['SIGHTLINE_FLUSH_INTERVAL', 'soon', /a duration/],
    ['SIGHTLINE_GLOBAL_LABELS', 'novalue', /key=value/],
  ])('rejects %s=%s with a coded error saying what is allowed', (env, value, message) => {
    let error: unknown;
    try {
      readConfig({}, { [env]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SightlineError);
    expect((error as SightlineError).code).toBe('SIGHTLINE_ERR_CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
  });

  it('never prints a secret in an error message', () => {
    let message = '';
    try {
      readConfig({ secretToken: 42 as unknown as string }, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('(hidden)');
    expect(message).not.toContain('42');
  });

  it('rejects unknown options and suggests the right spelling', () => {
    expect(codeOf(() => readConfig({ servicename: 'x' } as never, {}))).toBe('SIGHTLINE_ERR_CONFIG_UNKNOWN');
    expect(() => readConfig({ servicename: 'x' } as never, {})).toThrow(/did you mean "serviceName"/);
  });

  it('has an environment variable for every option, all distinct and prefixed', () => {
    const envs = Object.values(CONFIG_TABLE).map((e) => e.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const env of envs) expect(env).toMatch(/^SIGHTLINE_[A-Z0-9_]+$/);
  });
});
