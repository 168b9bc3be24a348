import { createHash } from 'node:crypto';

type Json = Record<string, any>;

/** `value` when it is an array, else none: a hostile body puts a number or an object where a list belongs. */
export function list(value: unknown): readonly any[] {
  return Array.isArray(value) ? value : [];
}

/** Nesting kept of kvlist and array values; deeper ones (a hostile body nests thousands) become null. */
const MAX_VALUE_DEPTH = 32;

/** An OTLP AnyValue as plain JSON: int64 strings become numbers, kvlists objects. */
export function anyValue(value: Json | undefined | null, depth = 0): unknown {
  if (value == null || typeof value !== 'object') return null;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return Number(value.doubleValue);
  if (depth >= MAX_VALUE_DEPTH) return null;
  if ('arrayValue' in value) {
    const values: unknown = value.arrayValue?.values;
    return Array.isArray(values) ? values.map((v) => anyValue(v, depth + 1)) : [];
  }
  if ('kvlistValue' in value) return attributes(value.kvlistValue?.values, depth + 1);
  if ('bytesValue' in value) return value.bytesValue;
  return null;
}

export function attributes(list: unknown, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (entry && typeof entry.key === 'string') out[entry.key] = anyValue(entry.value, depth);
  }
  return out;
}

/**
 * OTLP/JSON ids are hex (any case); a few exporters send proto3-JSON base64 instead.
 * Returns lower-case hex, or null when the value is neither or all zeros (meaning "none").
 */
export function otlpId(value: unknown, bytes: 8 | 16): string | null {
  if (typeof value !== 'string' || value === '') return null;
  let hex: string | null = null;
  if (value.length === bytes * 2 && /^[0-9a-f]+$/i.test(value)) hex = value.toLowerCase();
  else {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === bytes) hex = decoded.toString('hex');
  }
  return hex === null || /^0+$/.test(hex) ? null : hex;
}

/** Unix nanoseconds (a decimal string in OTLP/JSON, to keep int64 precision) to microseconds. */
export function nanosToUs(value: unknown): number | null {
  let us: number;
  if (typeof value === 'number' && Number.isFinite(value)) us = Math.floor(value / 1000);
  else if (typeof value === 'string' && /^\d{1,30}$/.test(value)) us = Number(BigInt(value) / 1000n);
  else return null;
  // Past year 9999 (or before 1970) it is garbage, and past int8 it would fail the whole database write.
  return us >= 0 && us <= MAX_TIMESTAMP_US ? us : null;
}

const MAX_TIMESTAMP_US = 253_402_300_799_999_999;

export interface OtlpResource {
  service: string;
  environment: string | null;
  serviceDoc: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

export function readResource(resource: Json | undefined): OtlpResource {
  const attrs = attributes(resource?.attributes);
  const str = (key: string) => (typeof attrs[key] === 'string' && attrs[key] !== '' ? (attrs[key] as string) : null);
  const service = str('service.name') ?? 'unknown_service';
  const environment = str('deployment.environment.name') ?? str('deployment.environment');
  const serviceDoc: Record<string, unknown> = { name: service };
  if (environment !== null) serviceDoc.environment = environment;
  if (str('service.version') !== null) serviceDoc.version = str('service.version');
  const sdkLanguage = str('telemetry.sdk.language');
  serviceDoc.agent = { name: `opentelemetry${sdkLanguage ? `/${sdkLanguage}` : ''}`, version: str('telemetry.sdk.version') ?? 'unknown' };
  if (sdkLanguage !== null) serviceDoc.language = { name: sdkLanguage };
  return { service, environment, serviceDoc, attributes: attrs };
}

/** A stable id for something OTLP gives no id of its own (an exception event). */
export function derivedId(...parts: unknown[]): string {
  return createHash('sha256').update(parts.map(String).join('\0')).digest('hex').slice(0, 32);
}
