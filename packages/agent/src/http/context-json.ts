/**
 * `context.request` and `context.response` written straight to JSON from the records: the
 * text JSON.stringify writes for buildRequestContext() and buildResponseContext(), without
 * building those objects first. The callers check the records hold what a request and a
 * response hold (strings, numbers, booleans) and use the object form otherwise.
 */
import { escapeJson, flat, jsonNumber, quote } from '../trace/json.js';
import { REDACTED, sanitizeCookies, sanitizeQuery, type NameMatcher } from '../sanitize.js';
import { HeaderSetCache } from './header-set-cache.js';
import { sentHeaders, type HttpContextOptions, type RequestRecord, type ResponseRecord } from './request-context.js';

type HeaderValue = string | string[] | number | undefined;

const REDACTED_JSON = quote(REDACTED);

/** A header name as written: `"name":`, and whether its value is redacted. */
class HeaderName {
  constructor(
    readonly name: string,
    readonly key: string,
    readonly secret: boolean,
  ) {}
}

/** Names remembered per matcher at most (names past it are written afresh each time). */
const MAX_NAMES = 512;
const namesByMatcher = new WeakMap<NameMatcher, Map<string, HeaderName>>();

function namesOf(isSecret: NameMatcher): Map<string, HeaderName> {
  let names = namesByMatcher.get(isSecret);
  if (names === undefined) {
    names = new Map();
    namesByMatcher.set(isSecret, names);
  }
  return names;
}

function headerName(names: Map<string, HeaderName>, name: string, isSecret: NameMatcher): HeaderName {
  let n = names.get(name);
  if (n === undefined) {
    n = new HeaderName(name, quote(name) + ':', isSecret(name));
    if (names.size < MAX_NAMES) names.set(name, n);
  }
  return n;
}

/** Whether the records hold the types the writers below assume. */
export function requestRecordIsPlain(req: RequestRecord): boolean {
  return (
    typeof req.method === 'string' &&
    typeof req.url === 'string' &&
    typeof req.httpVersion === 'string' &&
    typeof req.hostname === 'string' &&
    (req.port === null || typeof req.port === 'string') &&
    (req.remoteAddress === null || typeof req.remoteAddress === 'string')
  );
}

export function responseRecordIsPlain(res: ResponseRecord): boolean {
  return typeof res.statusCode === 'number' && typeof res.finished === 'boolean' && typeof res.headersSent === 'boolean';
}

/**
 * The last request's context up to its headers (method, URL, version, socket): a function of
 * the fields compared here, so a request that repeats them (the same route from the same
 * address) reuses the text instead of escaping and joining ~30 pieces again.
 */
class RequestPart {
  method = '';
  url = '';
  httpVersion = '';
  hostname = '';
  port: string | null = null;
  encrypted = false;
  remoteAddress: string | null = null;
  isSecret: NameMatcher | null = null;
  json = '';
}

const lastRequestPart = new RequestPart();

function requestPartJson(req: RequestRecord, isSecret: NameMatcher): string {
  const last = lastRequestPart;
  if (
    last.isSecret === isSecret &&
    last.url === req.url &&
    last.hostname === req.hostname &&
    last.port === req.port &&
    last.remoteAddress === req.remoteAddress &&
    last.method === req.method &&
    last.httpVersion === req.httpVersion &&
    last.encrypted === req.encrypted
  ) {
    return flat(last.json);
  }
  const json = requestPartJsonFresh(req, isSecret);
  last.method = req.method;
  last.url = req.url;
  last.httpVersion = req.httpVersion;
  last.hostname = req.hostname;
  last.port = req.port;
  last.encrypted = req.encrypted;
  last.remoteAddress = req.remoteAddress;
  last.isSecret = isSecret;
  last.json = json;
  return json;
}

function requestPartJsonFresh(req: RequestRecord, isSecret: NameMatcher): string {
  const raw = req.url;
  const q = raw.indexOf('?');
  const pathname = escapeJson(q === -1 ? raw : raw.slice(0, q));
  const searchRaw = q === -1 ? '' : sanitizeQuery(raw.slice(q), isSecret);
  const search = escapeJson(searchRaw);
  const protocol = req.encrypted ? 'https:' : 'http:';
  const hostname = escapeJson(req.hostname);
  const port = req.port;
  let url =
    '{"raw":"' + pathname + search + '","protocol":"' + protocol + '","hostname":"' + hostname + '","pathname":"' + pathname +
    '","full":"' + protocol + '//' + hostname + (port ? ':' + escapeJson(port) : '') + pathname + search + '"';
  if (port !== null) url += ',"port":' + quote(port);
  if (searchRaw !== '') url += ',"search":"' + search + '"';
  const json =
    '{"method":' + quote(req.method) + ',"url":' + url + '},"http_version":' + quote(req.httpVersion) +
    ',"socket":{"remote_address":' + (req.remoteAddress === null ? 'null' : quote(req.remoteAddress)) + '}';
  return json;
}

const requestHeaders = new HeaderSetCache();
const storedResponseHeaders = new HeaderSetCache();

/** The request part and its headers last joined, and the join. */
let lastJoinPart = '';
let lastJoinHeaders = '';
let lastJoin = '';

/** The request context without its closing brace: the caller adds the body, if any. */
export function requestContextOpenJson(req: RequestRecord, opts: HttpContextOptions): string {
  const part = requestPartJson(req, opts.isSecret);
  if (!opts.captureHeaders) return part;
  const cookie = req.headers.cookie;
  const hasCookie = typeof cookie === 'string' && cookie !== '';
  const headers = headersJsonOrNull(req.headers as Record<string, HeaderValue>, opts, hasCookie, requestHeaders) ?? '{}';
  if (hasCookie) return part + ',"headers":' + headers + ',"cookies":' + JSON.stringify(sanitizeCookies(cookie));
  if (part !== lastJoinPart || headers !== lastJoinHeaders) {
    lastJoinPart = part;
    lastJoinHeaders = headers;
    lastJoin = part + ',"headers":' + headers;
    return lastJoin;
  }
  return flat(lastJoin);
}

/** The response context last written, and what it was written from. */
class ResponsePart {
  statusCode = 0;
  finished = false;
  headersSent = false;
  headers: string | null = null;
  json = '';
}

const lastResponse = new ResponsePart();

export function responseContextJson(res: ResponseRecord, opts: HttpContextOptions): string {
  let headers: string | null = null;
  if (opts.captureHeaders) {
    // The stored headers if there are any (see ResponseRecord.headers), else the block as sent.
    const stored = res.headers === null ? null : headersJsonOrNull(res.headers as Record<string, HeaderValue>, opts, false, storedResponseHeaders);
    headers = stored ?? (res.headerBlock !== null ? sentHeadersJson(res.headerBlock, opts.isSecret) : '{}');
  }
  const last = lastResponse;
  if (last.headers === headers && last.statusCode === res.statusCode && last.finished === res.finished && last.headersSent === res.headersSent && last.json !== '') {
    return flat(last.json);
  }
  let out = '{"status_code":' + jsonNumber(res.statusCode) + ',"finished":' + res.finished + ',"headers_sent":' + res.headersSent;
  if (headers !== null) out += ',"headers":' + headers;
  out += '}';
  last.statusCode = res.statusCode;
  last.finished = res.finished;
  last.headersSent = res.headersSent;
  last.headers = headers;
  last.json = out;
  return out;
}

/**
 * sanitizeHeaders() written out: the same order (the source's), secrets redacted, lists
 * joined; `cookie` redacted when the request's cookies are listed apart. Null when the
 * object has no keys at all (one listing of its keys for both). The last object's text is
 * reused when the next one holds the same (see HeaderSetCache).
 */
function headersJsonOrNull(headers: Record<string, HeaderValue>, opts: HttpContextOptions, redactCookie: boolean, cache: HeaderSetCache): string | null {
  const isSecret = opts.isSecret;
  const cached = cache.lookup(headers, isSecret, redactCookie);
  if (cached !== undefined) return cached === null ? null : flat(cached);
  // The members this object shares with the last one, from the start, are written as they were.
  const kept = cache.matched;
  let out = cache.prefix();
  cache.begin(isSecret, redactCookie, kept);
  const names = namesOf(isSecret);
  let any = false;
  let sep = out.length > 1 ? ',' : '';
  let i = 0;
  for (const name in headers) {
    any = true;
    if (i++ < kept) continue;
    const v = headers[name];
    // A `__proto__` member of a copy sets its prototype: JSON never shows it.
    if (v === undefined || name === '__proto__') {
      cache.member(name, v, false, out.length);
      continue;
    }
    const n = headerName(names, name, isSecret);
    const redacted = n.secret || (redactCookie && name === 'cookie');
    out += sep + n.key + (redacted ? REDACTED_JSON : quote(Array.isArray(v) ? v.join(', ') : String(v)));
    sep = ',';
    cache.member(name, v, redacted, out.length);
  }
  const json = any ? out + '}' : null;
  cache.done(json);
  return json;
}

/** A name that trims to nothing: the line is skipped. */
const EMPTY_NAME = new HeaderName('', '', false);

// Scratch space for sentHeadersJson (one header block at a time, never re-entered).
const blockNames: string[] = [];
const blockKeys: HeaderName[] = [];
const blockValues: string[] = [];

/**
 * sentHeaders() written out, read in place from the header block: a repeated name is
 * joined into its first place, as the object does. A name the object would order or drop
 * differently (an integer-like name comes first, `__proto__` is not kept) goes through it.
 */
let lastBlock = '';
let lastBlockIsSecret: NameMatcher | null = null;
let lastBlockJson = '';

/** sentHeadersJsonFresh, reused for a block equal to the last one (a Date header changes once a second). */
function sentHeadersJson(block: string, isSecret: NameMatcher): string {
  if (block === lastBlock && isSecret === lastBlockIsSecret) return flat(lastBlockJson);
  const json = sentHeadersJsonFresh(block, isSecret);
  lastBlock = block;
  lastBlockIsSecret = isSecret;
  lastBlockJson = json;
  return json;
}

function sentHeadersJsonFresh(block: string, isSecret: NameMatcher): string {
  const length = block.length;
  let start = block.indexOf('\r\n');
  if (start === -1) return '{}';
  start += 2;
  blockNames.length = 0;
  blockKeys.length = 0;
  blockValues.length = 0;
  const names = namesOf(isSecret);
  while (start < length) {
    let end = block.indexOf('\r\n', start);
    if (end === -1) end = length;
    const colon = block.indexOf(':', start);
    if (colon > start && colon < end) {
      // Names as written in the block (`Date`, `Keep-Alive`) are remembered too, lowercased once.
      const raw = block.slice(start, colon);
      let n = names.get(raw);
      if (n === undefined) {
        const lower = raw.trim().toLowerCase();
        if (lower === '') n = EMPTY_NAME;
        else {
          n = headerName(names, lower, isSecret);
          if (raw !== lower && names.size < MAX_NAMES) names.set(raw, n);
        }
      }
      if (n !== EMPTY_NAME) {
        const name = n.name;
        const first = name.charCodeAt(0);
        if ((first >= 48 && first <= 57) || name === '__proto__') return JSON.stringify(sentHeaders(block, isSecret));
        const value = n.secret ? REDACTED : block.slice(colon + 1, end).trim();
        const k = blockNames.indexOf(name);
        if (k === -1) {
          blockNames.push(name);
          blockKeys.push(n);
          blockValues.push(value);
        } else if (!n.secret) {
          blockValues[k] = `${blockValues[k]}, ${value}`;
        }
      }
    }
    start = end + 2;
  }
  let out = '{';
  for (let i = 0; i < blockKeys.length; i++) out += (i === 0 ? '' : ',') + blockKeys[i]!.key + quote(blockValues[i]!);
  return out + '}';
}
