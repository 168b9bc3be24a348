/**
 * The demo's injected fault, for seeing anomaly detection at work: with
 * DEMO_FAULT=sql-group, /sql-group spends DEMO_FAULT_MS (default 8) more in the database
 * (one more `db` span) from DEMO_FAULT_AFTER (default 10m) after start, 3–5 times its usual
 * latency. The app says so on stderr when it begins.
 */

export interface DemoFault {
  /** The extra database time for a route now, 0 when the fault is off or not yet on. */
  extraMs(route: string): number;
}

const NONE: DemoFault = { extraMs: () => 0 };
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseAfter(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new Error(`DEMO_FAULT_AFTER must look like 0s, 90s or 10m, got '${text}'`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}

export function faultFromEnv(env: NodeJS.ProcessEnv, service: string): DemoFault {
  const route = env.DEMO_FAULT;
  if (route === undefined || route === '') return NONE;
  if (route !== 'sql-group') throw new Error(`DEMO_FAULT must be sql-group, got '${route}'`);
  const afterMs = parseAfter(env.DEMO_FAULT_AFTER ?? '10m');
  const ms = Number(env.DEMO_FAULT_MS ?? 8);
  if (!(ms > 0)) throw new Error(`DEMO_FAULT_MS must be a positive number, got '${env.DEMO_FAULT_MS}'`);
  const onAtMs = Date.now() + afterMs;
  let announced = false;
  return {
    extraMs(name) {
      if (name !== route || Date.now() < onAtMs) return 0;
      if (!announced) {
        announced = true;
        process.stderr.write(`${JSON.stringify({ fault: route, service, onAtMs: Date.now(), extraMs: ms })}\n`);
      }
      return ms;
    },
  };
}
