/**
 * Transactions and spans written straight to their intake v2 JSON, the encoding tick's hot
 * path: the same text as JSON.stringify(serializeTransaction(tx)) (and serializeSpan), built
 * from constant fragments and escaped dynamic strings instead of intermediate objects.
 * JSON.stringify still writes what users supply (user, custom context, labels, a body, db
 * and http context). An event holding something other than the usual strings, numbers and
 * booleans (a JS caller can assign anything) is written through the object form.
 */
import { requestContextOpenJson, requestRecordIsPlain, responseContextJson, responseRecordIsPlain } from '../http/context-json.js';
import { requestRecordOf, responseRecordOf, type RequestRecord, type ResponseRecord } from '../http/request-context.js';
import { flat, jsonMillis3, jsonNumber, jsonTimestamp, member, quote } from './json.js';
import { encodableCustom, round3, serializeSpan, serializeTransaction } from './serialize.js';
import type { HttpSpanContext, Span } from './span.js';
import type { Transaction } from './transaction.js';

function isNullOrString(v: unknown): boolean {
  return v === null || typeof v === 'string';
}

function transactionIsPlain(tx: Transaction): boolean {
  return (
    typeof tx.name === 'string' &&
    typeof tx.type === 'string' &&
    typeof tx.outcome === 'string' &&
    typeof tx.timestamp === 'number' &&
    typeof tx.durationMs === 'number' &&
    isNullOrString(tx.result) &&
    (tx.sampleRate === null || typeof tx.sampleRate === 'number')
  );
}

export function transactionJson(tx: Transaction): string {
  if (!transactionIsPlain(tx)) return JSON.stringify(serializeTransaction(tx));
  const opts = tx.tracer.httpContextOptions;
  // As serializeTransaction: a request or response that cannot be read is left out, and the
  // request first (a failing response keeps the request).
  let requestOpen: string | null = null;
  let response: string | null = null;
  let plain = true;
  try {
    if (tx.req !== null) {
      const req: RequestRecord = requestRecordOf(tx.req);
      if (requestRecordIsPlain(req)) requestOpen = requestContextOpenJson(req, opts);
      else plain = false;
    }
    if (plain && tx.res !== null) {
      const res: ResponseRecord = responseRecordOf(tx.res, opts.captureHeaders);
      if (responseRecordIsPlain(res)) response = responseContextJson(res, opts);
      else plain = false;
    }
  } catch {
    // A request object mangled by the app: ship the transaction without it.
  }
  if (!plain) return JSON.stringify(serializeTransaction(tx));

  let out =
    '{"id":"' + tx.id + '","trace_id":"' + tx.traceId + transactionNameType.of(tx.name, tx.type) + jsonTimestamp(tx.timestamp) + ',"duration":' + jsonMillis3(tx.durationMs) +
    outcomeJson(tx.outcome, tx.sampled, tx.spansStarted, tx.spansDropped);
  if (tx.parentId !== null) out += ',"parent_id":"' + tx.parentId + '"';
  if (tx.result !== null || tx.sampleRate !== null) out += resultJson(tx.result, tx.sampleRate);

  const tags = tagsJson(tx);
  if (
    requestOpen !== null &&
    response !== null &&
    tx.requestBody === undefined &&
    tx.user === null &&
    tx.custom === null &&
    tags === null &&
    !tx.aborted
  ) {
    // The usual request: its context is the two parts alone, joined once for as long as they repeat.
    return out + requestResponseJson(requestOpen, response);
  }

  // A member is counted even when its value writes as nothing: the context is there all the same.
  // Members are joined with `sep` rather than cut from a leading comma: slicing a rope of
  // pieces copies it into a flat string, and the line's write copies it again.
  let context = ',"context":{';
  let sep = '';
  let members = 0;
  if (requestOpen !== null) {
    members++;
    context += '"request":' + requestOpen + member(',"body":', tx.requestBody) + '}';
    sep = ',';
  }
  if (response !== null) {
    members++;
    context += sep + '"response":' + response;
    sep = ',';
  }
  if (tx.user !== null) {
    members++;
    const user = member('"user":', tx.user);
    if (user !== '') {
      context += sep + user;
      sep = ',';
    }
  }
  if (tx.custom !== null) {
    members++;
    const custom = customJson(tx.custom, tx.aborted);
    if (custom !== undefined) {
      context += sep + '"custom":' + custom;
      sep = ',';
    }
  }
  if (tags !== null) {
    members++;
    context += sep + '"tags":' + tags;
    sep = ',';
  }
  if (tx.aborted && tx.custom === null) {
    members++;
    context += sep + '"custom":{"client_aborted":true}';
  }
  if (members > 0) out += context + '}';
  return out + '}';
}

let lastJoinRequest = '';
let lastJoinResponse = '';
let lastJoin = '';

/** `,"context":{"request":…},"response":…}}`: the end of the line of a request with nothing but its request and response. */
function requestResponseJson(requestOpen: string, response: string): string {
  if (requestOpen !== lastJoinRequest || response !== lastJoinResponse || lastJoin === '') {
    lastJoinRequest = requestOpen;
    lastJoinResponse = response;
    lastJoin = ',"context":{"request":' + requestOpen + '},"response":' + response + '}}';
    return lastJoin;
  }
  return flat(lastJoin);
}

/*
 * The members that repeat from one transaction to the next (a route's name and type, the
 * outcome, the result and sample rate), written once and reused while the next transaction
 * has the same values: the last text of each is kept with what it was written from.
 */
/** `","name":…,"type":…,"timestamp":` (after the trace id's digits), kept for the last name and type. */
class NameTypeText {
  private name = '';
  private type = '';
  private text = '';

  of(name: string, type: string): string {
    if (name !== this.name || type !== this.type || this.text === '') {
      this.name = name;
      this.type = type;
      this.text = flat('","name":' + quote(name) + ',"type":' + quote(type) + ',"timestamp":');
    }
    return this.text;
  }
}

const transactionNameType = new NameTypeText();

let lastOutcome = '';
let lastSampled = false;
let lastStarted = -1;
let lastDropped = -1;
let lastOutcomeJson = '';

/** `,"outcome":…,"sampled":…,"span_count":{…}`. */
function outcomeJson(outcome: string, sampled: boolean, started: number, dropped: number): string {
  if (outcome !== lastOutcome || sampled !== lastSampled || started !== lastStarted || dropped !== lastDropped || lastOutcomeJson === '') {
    lastOutcome = outcome;
    lastSampled = sampled;
    lastStarted = started;
    lastDropped = dropped;
    lastOutcomeJson = flat(
      ',"outcome":' + quote(outcome) + ',"sampled":' + (sampled ? 'true' : 'false') + ',"span_count":{"started":' + jsonNumber(started) + ',"dropped":' + jsonNumber(dropped) + '}',
    );
  }
  return lastOutcomeJson;
}

let lastResult: string | null = null;
let lastSampleRate: number | null = null;
let lastResultJson = '';

/** `,"result":…,"sample_rate":…`, either left out when null (not both). */
function resultJson(result: string | null, sampleRate: number | null): string {
  if (result !== lastResult || sampleRate !== lastSampleRate || lastResultJson === '') {
    lastResult = result;
    lastSampleRate = sampleRate;
    let json = '';
    if (result !== null) json += ',"result":' + quote(result);
    if (sampleRate !== null) json += ',"sample_rate":' + jsonNumber(sampleRate);
    lastResultJson = flat(json);
  }
  return lastResultJson;
}

/** The custom context as serializeTransaction writes it (values JSON cannot encode described). */
function customJson(custom: Record<string, unknown>, aborted: boolean): string | undefined {
  if (aborted) return JSON.stringify({ ...encodableCustom(custom), client_aborted: true });
  try {
    return JSON.stringify(custom) as string | undefined;
  } catch {
    return JSON.stringify(encodableCustom(custom)) as string | undefined;
  }
}

/** Global labels merged with the transaction's; the global ones alone are written once per tracer. */
function tagsJson(tx: Transaction): string | null {
  const global = tx.tracer.globalLabels;
  const own = tx.labels;
  if (own === null) return global === null ? null : tx.tracer.globalLabelsJson;
  return JSON.stringify(global === null ? own : { ...global, ...own });
}

function spanIsPlain(span: Span): boolean {
  const d = span.destination;
  return (
    typeof span.name === 'string' &&
    typeof span.type === 'string' &&
    typeof span.outcome === 'string' &&
    typeof span.durationMs === 'number' &&
    typeof span.startMs === 'number' &&
    isNullOrString(span.subtype) &&
    isNullOrString(span.action) &&
    isNullOrString(span.targetName) &&
    (d === null || ((d.address === null || d.address === undefined || typeof d.address === 'string') && (d.port === null || d.port === undefined || typeof d.port === 'number')))
  );
}

export function spanJson(span: Span): string {
  if (!spanIsPlain(span)) return JSON.stringify(serializeSpan(span));
  const tx = span.transaction;
  let out =
    '{"id":"' + span.id + '","transaction_id":"' + tx.id + '","parent_id":"' + span.parentId + '","trace_id":"' + span.traceId +
    spanNameType.of(span.name, span.type) + jsonTimestamp(span.timestamp) + ',"duration":' + jsonMillis3(span.durationMs) +
    spanOutcomeJson(span.outcome, span.subtype, span.action, tx.sampleRate);
  if (span.composite !== null) out += ',"composite":' + JSON.stringify({ ...span.composite, sum: round3(span.composite.sum) });

  const http = span.http === null ? null : plainHttpJson(span.http);
  if (span.db === null && span.labels === null && span.exit && http !== null) {
    // The usual exit span of an outgoing call: its context is the http and exit parts alone,
    // joined once for as long as they repeat.
    return out + httpExitContextJson(http, exitJson(span)) + '}';
  }

  // Joined with `sep`, not cut from a leading comma (see transactionJson).
  let context = ',"context":{';
  let sep = '';
  let members = 0;
  if (span.db !== null) {
    members++;
    const db = member('"db":', span.db);
    if (db !== '') {
      context += db;
      sep = ',';
    }
  }
  if (span.http !== null) {
    members++;
    const text = http ?? member('"http":', span.http);
    if (text !== '') {
      context += sep + text;
      sep = ',';
    }
  }
  if (span.exit) {
    members += 2;
    context += sep + exitJson(span);
    sep = ',';
  }
  if (span.labels !== null) {
    members++;
    context += sep + '"tags":' + JSON.stringify(span.labels);
  }
  if (members > 0) out += context + '}';
  return out + '}';
}

/*
 * The parts of a span line that repeat from one span to the next (its name and type, its
 * outcome and kind, the exit context of an origin, the http context of a call repeated),
 * written once and reused while the next span has the same values, as for transactions.
 */
const spanNameType = new NameTypeText();

let lastSpanOutcome = '';
let lastSubtype: string | null = null;
let lastAction: string | null = null;
let lastSpanRate: number | null = null;
let lastSpanOutcomeJson = '';

/** `,"outcome":…[,"subtype":…][,"action":…][,"sample_rate":…]`. */
function spanOutcomeJson(outcome: string, subtype: string | null, action: string | null, sampleRate: number | null): string {
  if (outcome !== lastSpanOutcome || subtype !== lastSubtype || action !== lastAction || sampleRate !== lastSpanRate || lastSpanOutcomeJson === '') {
    lastSpanOutcome = outcome;
    lastSubtype = subtype;
    lastAction = action;
    lastSpanRate = sampleRate;
    let json = ',"outcome":' + quote(outcome);
    if (subtype !== null) json += ',"subtype":' + quote(subtype);
    if (action !== null) json += ',"action":' + quote(action);
    if (sampleRate !== null) json += ',"sample_rate":' + jsonNumber(sampleRate);
    lastSpanOutcomeJson = flat(json);
  }
  return lastSpanOutcomeJson;
}

let lastAddress: string | null | undefined = null;
let lastPort: number | null | undefined = null;
let lastResource = '';
let lastTarget: string | null = null;
let lastExit = '';

/** `"destination":{…},"service":{"target":{…}}` of an exit span, one text per origin while the origins repeat. */
function exitJson(span: Span): string {
  const d = span.destination;
  const address = d === null ? null : d.address;
  const port = d === null ? null : d.port;
  const resource = span.subtype ?? span.type;
  const target = span.targetName;
  if (address !== lastAddress || port !== lastPort || resource !== lastResource || target !== lastTarget || lastExit === '') {
    lastAddress = address;
    lastPort = port;
    lastResource = resource;
    lastTarget = target;
    let destination = '"destination":{';
    if (address) destination += '"address":' + quote(address) + ',';
    if (port) destination += '"port":' + jsonNumber(port) + ',';
    destination += '"service":{"resource":' + quote(target ? resource + '/' + target : resource) + ',"name":"","type":""}';
    lastExit = destination + '},"service":{"target":{"type":' + quote(resource) + (target ? ',"name":' + quote(target) : '') + '}}';
    return lastExit;
  }
  return flat(lastExit);
}

let lastMethod = '';
let lastUrl = '';
let lastStatus: number | undefined = undefined;
let lastHttp = '';

/**
 * `"http":{…}` of an http context holding its method and url (strings) and a status code (a
 * number, or undefined: written as nothing) as own members in that order and nothing else,
 * as the http instrumentations set it; null for any other (written through JSON.stringify).
 */
function plainHttpJson(h: HttpSpanContext): string | null {
  let keys = 0;
  for (const key in h) {
    if (key !== HTTP_KEYS[keys]) return null;
    keys++;
  }
  if (keys < 2) return null;
  const method = h.method;
  const url = h.url;
  const status = h.status_code;
  if (typeof method !== 'string' || typeof url !== 'string' || (status !== undefined && typeof status !== 'number') || (h as { toJSON?: unknown }).toJSON !== undefined) return null;
  if (method !== lastMethod || url !== lastUrl || status !== lastStatus || lastHttp === '') {
    lastMethod = method;
    lastUrl = url;
    lastStatus = status;
    lastHttp = '"http":{"method":' + quote(method) + ',"url":' + quote(url) + (status === undefined ? '}' : ',"status_code":' + jsonNumber(status) + '}');
    return lastHttp;
  }
  return flat(lastHttp);
}

const HTTP_KEYS = ['method', 'url', 'status_code'];

let lastJoinHttp = '';
let lastJoinExit = '';
let lastHttpExit = '';

/** `,"context":{"http":…,"destination":…,"service":…}`: the context of an outgoing call with nothing else. */
function httpExitContextJson(http: string, exit: string): string {
  if (http !== lastJoinHttp || exit !== lastJoinExit || lastHttpExit === '') {
    lastJoinHttp = http;
    lastJoinExit = exit;
    lastHttpExit = ',"context":{' + http + ',' + exit + '}';
    return lastHttpExit;
  }
  return flat(lastHttpExit);
}
