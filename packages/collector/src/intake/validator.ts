import { Ajv, type ValidateFunction } from 'ajv';
import { errorSchema, logSchema, metadataSchema, metricsetSchema, spanSchema, transactionSchema } from './schemas.js';

export type IntakeKind = 'metadata' | 'transaction' | 'span' | 'error' | 'metricset' | 'log';

export interface Validators {
  /** Returns null when valid, else a message in APM Server's "validation error: …" form. */
  check(kind: IntakeKind, value: unknown): string | null;
}

let shared: Validators | null = null;

/** Compiled once per process: ajv compilation costs milliseconds, validation microseconds. */
export function intakeValidators(): Validators {
  if (shared !== null) return shared;
  const ajv = new Ajv({ allErrors: false, strict: false });
  const compiled: Record<IntakeKind, ValidateFunction> = {
    metadata: ajv.compile(metadataSchema),
    transaction: ajv.compile(transactionSchema),
    span: ajv.compile(spanSchema),
    error: ajv.compile(errorSchema),
    metricset: ajv.compile(metricsetSchema),
    log: ajv.compile(logSchema),
  };
  shared = {
    check(kind, value) {
      const validate = compiled[kind];
      if (validate(value)) return null;
      return `validation error: ${ajv.errorsText(validate.errors, { dataVar: kind, separator: '; ' })}`;
    },
  };
  return shared;
}
