import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The shared conformance data: ../shared/spec from the repo root, or SIGHTLINE_SPEC_DIR. */
export const SPEC_DIR = process.env.SIGHTLINE_SPEC_DIR
  ? resolve(process.env.SIGHTLINE_SPEC_DIR)
  : fileURLToPath(new URL('../../../../shared/spec', import.meta.url));

export const specPath = (...parts: string[]): string => resolve(SPEC_DIR, ...parts);
