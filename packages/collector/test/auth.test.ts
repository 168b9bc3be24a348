import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postIntake, startTestCollector, testdata, type TestCollector } from './helpers.js';

describe('authentication with a secret token and API keys', () => {
  let collector: TestCollector;
  beforeAll(async () => {
    collector = await startTestCollector({ secretToken: 'token-123', apiKeys: ['key-a', 'key-b'] });
  });
  afterAll(async () => collector.close());

  it('refuses intake without credentials, with APM Server body shape', async () => {
    const response = await postIntake(collector.url, testdata('errors.ndjson'));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ accepted: 0, errors: [{ message: expect.stringMatching(/authentication/) }] });
  });

  it.each([
    ['a wrong token', 'Bearer token-124'],
    ['a token of another length', 'Bearer t'],
    ['an API key given as a token', 'Bearer key-a'],
    ['the token given as an API key', 'ApiKey token-123'],
    ['an unknown scheme', 'Basic dG9rZW4tMTIz'],
    ['no credential after the scheme', 'Bearer'],
  ])('refuses %s with 401', async (_name, authorization) => {
    expect((await postIntake(collector.url, testdata('errors.ndjson'), { authorization })).status).toBe(401);
  });

  it.each([['Bearer token-123'], ['ApiKey key-a'], ['ApiKey key-b'], ['bearer token-123']])('accepts %s', async (authorization) => {
    expect((await postIntake(collector.url, testdata('errors.ndjson'), { authorization })).status).toBe(202);
  });

  it('protects the query API, /metrics and OTLP, but not /healthz', async () => {
    expect((await getJson(`${collector.url}/api/v1/services`)).status).toBe(401);
    expect((await getJson(`${collector.url}/api/v1/services`, { authorization: 'ApiKey key-b' })).status).toBe(200);
    expect((await fetch(`${collector.url}/metrics`)).status).toBe(401);
    const otlp = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(otlp.status).toBe(401);
    expect((await getJson(`${collector.url}/healthz`)).status).toBe(200);
  });

  it('tells an unauthenticated GET / only that the server is up', async () => {
    expect((await getJson(`${collector.url}/`)).body).toEqual({ publish_ready: true });
    expect((await getJson(`${collector.url}/`, { authorization: 'Bearer token-123' })).body.version).toMatch(/^8\./);
  });
});
