// The one way the UI reaches the collector: the query API v1 (docs/api.md), with the
// token the user gave when the collector asks for one.

const TOKEN_KEY = 'sightline.token';

export class AuthRequiredError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AuthRequiredError';
  }
}

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage can be disabled; the token then lasts until the page is reloaded.
  }
  memoryToken = token;
}

let memoryToken = null;

/** "ApiKey abc" is sent as is; anything else is a secret token. */
function authorization(token) {
  return /^apikey\s/i.test(token) ? `ApiKey ${token.replace(/^apikey\s+/i, '')}` : `Bearer ${token}`;
}

/**
 * GET /api/v1{path} → parsed JSON. null for a 404 when `allow404`.
 * @param {string} path
 * @param {{ signal?: AbortSignal, allow404?: boolean }} [options]
 */
export async function api(path, options = {}) {
  const headers = { accept: 'application/json' };
  const token = getToken() ?? memoryToken;
  if (token) headers.authorization = authorization(token);
  const response = await fetch(`/api/v1${path}`, { headers, signal: options.signal, cache: 'no-store' });
  if (response.status === 401) {
    throw new AuthRequiredError(token ? 'The token was not accepted.' : 'This collector needs a token.');
  }
  if (response.status === 404 && options.allow404) return null;
  const text = await response.text();
  let body = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, `The collector answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}
