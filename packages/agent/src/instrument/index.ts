/**
 * The instrumentation table: every library the agent traces, one entry each. Framework and
 * client instrumentations add themselves here.
 */
import type { ChannelInstrumentation, ModulePatch } from './types.js';

export const MODULE_PATCHES: readonly ModulePatch[] = [];

export const CHANNEL_INSTRUMENTATIONS: readonly ChannelInstrumentation[] = [];

/** Module names the ESM loader hook must intercept (all others load untouched). */
export function hookedModuleNames(): string[] {
  const names = new Set<string>();
  for (const p of MODULE_PATCHES) for (const m of p.modules) names.add(m.split('/').slice(0, m.startsWith('@') ? 2 : 1).join('/'));
  return [...names];
}
