/** The configuration reference, rendered from the config table (docs/configuration.md). */
import { CONFIG_TABLE, type ConfigEntry } from './table.js';

function defaultText(e: ConfigEntry<unknown>): string {
  if (e.defaultDoc !== undefined) return e.defaultDoc;
  const d = e.default;
  if (d === null) return '(none)';
  if (Array.isArray(d)) return d.length === 0 ? '(none)' : `\`${d.join(',')}\``;
  if (typeof d === 'object') return Object.keys(d as object).length === 0 ? '(none)' : `\`${JSON.stringify(d)}\``;
  return `\`${String(d)}\``;
}

export function renderConfigTable(): string {
  const rows = ['| option | environment variable | type | default | description |', '| --- | --- | --- | --- | --- |'];
  for (const [name, entry] of Object.entries(CONFIG_TABLE)) {
    const e = entry as ConfigEntry<unknown>;
    rows.push(`| \`${name}\` | \`${e.env}\` | ${e.type} | ${defaultText(e)} | ${e.description.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

export const CONFIG_DOC_BEGIN = '<!-- config-table:begin (generated from packages/agent/src/config/table.ts by `pnpm docs:config`) -->';
export const CONFIG_DOC_END = '<!-- config-table:end -->';
