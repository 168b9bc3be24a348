/**
 * The shared conformance data (`../shared/spec` beside the repository), read in place.
 * SIGHTLINE_SPEC_DIR overrides it for a copy of the repository that lives elsewhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';

export const SPEC_DIR = process.env.SIGHTLINE_SPEC_DIR ?? fileURLToPath(new URL('../../../../../shared/spec', import.meta.url));

export type IntakeKind = 'metadata' | 'transaction' | 'span' | 'error' | 'metricset';

let validators: Record<IntakeKind, ValidateFunction> | null = null;

/** Validators for the intake v2 JSON schemas, compiled once. */
export function intakeValidators(): Record<IntakeKind, ValidateFunction> {
  if (validators !== null) return validators;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const load = (name: string) => JSON.parse(readFileSync(join(SPEC_DIR, 'elastic-intake-v2', 'schema', `${name}.json`), 'utf8'));
  validators = {
    metadata: ajv.compile(load('metadata')),
    transaction: ajv.compile(load('transaction')),
    span: ajv.compile(load('span')),
    error: ajv.compile(load('error')),
    metricset: ajv.compile(load('metricset')),
  };
  return validators;
}

/** The schema errors of one event, as readable text; empty when valid. */
export function schemaErrors(kind: IntakeKind, event: unknown): string {
  const validate = intakeValidators()[kind];
  if (validate(event)) return '';
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}
