/** Reads the config once: start() options over environment over defaults, validated and frozen. */
import { SightlineError } from '../error-codes.js';
import { CONFIG_TABLE, type Config, type ConfigEntry, type ConfigKey, type ConfigOptions } from './table.js';
import { readPackageInfo, toServiceName } from './package-info.js';

const KEYS = Object.keys(CONFIG_TABLE) as ConfigKey[];

function describe(raw: unknown, secret: boolean | undefined): string {
  if (secret) return '(hidden)';
  try {
    return JSON.stringify(raw) ?? String(raw);
  } catch {
    return String(raw);
  }
}

export function readConfig(options: ConfigOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  if (options === null || typeof options !== 'object') {
    throw new SightlineError('SIGHTLINE_ERR_INVALID_ARGUMENT', 'start() takes an options object, or nothing.');
  }
  for (const key of Object.keys(options)) {
    if (!(key in CONFIG_TABLE)) {
      const near = KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
      throw new SightlineError(
        'SIGHTLINE_ERR_CONFIG_UNKNOWN',
        `unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ''}. See docs/configuration.md for the options.`,
      );
    }
  }

  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const e = CONFIG_TABLE[key] as ConfigEntry<unknown>;
    const fromOptions = (options as Record<string, unknown>)[key];
    const fromEnv = env[e.env];
    let raw: unknown;
    let source: string;
    if (fromOptions !== undefined) {
      raw = fromOptions;
      source = `option "${key}"`;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv;
      source = `${e.env}`;
    } else {
      out[key] = typeof e.default === 'function' ? (e.default as () => unknown)() : e.default;
      continue;
    }
    const parsed = e.parse(raw);
    if (!parsed.ok) {
      throw new SightlineError(
        'SIGHTLINE_ERR_CONFIG_INVALID',
        `${source} is ${describe(raw, e.secret)}; it must be ${parsed.allowed}.`,
      );
    }
    out[key] = parsed.value;
  }

  if (out.serviceName === '' || out.serviceVersion === null) {
    const pkg = readPackageInfo();
    if (out.serviceName === '') out.serviceName = toServiceName(pkg.name);
    if (out.serviceVersion === null) out.serviceVersion = pkg.version;
  }
  return Object.freeze(out) as Config;
}

/** The config with secrets hidden, for logs and debugging. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const e = CONFIG_TABLE[key] as ConfigEntry<unknown>;
    out[key] = e.secret && config[key] !== null ? '(hidden)' : config[key];
  }
  return out;
}
