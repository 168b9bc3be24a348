// What isolate.mjs and callgrind.mjs share: `--variant name=kind[:ENV=v;ENV=v]` specs
// (kind: none, agent, or base for the agent built in --base-agent's checkout), and forking an
// app or upstream that says `ready` over IPC.
import { fork } from 'node:child_process';

export function parseVariants(specs, baseAgent) {
  return specs.map((spec) => {
    const eq = spec.indexOf('=');
    const name = eq === -1 ? spec : spec.slice(0, eq);
    const rest = eq === -1 ? spec : spec.slice(eq + 1);
    const [kind, envText = ''] = rest.split(/:(.*)/s);
    if (!['none', 'agent', 'base'].includes(kind)) throw new Error(`unknown variant kind ${kind}`);
    if (kind === 'base' && !baseAgent) throw new Error('kind base needs --base-agent');
    const env = {};
    for (const pair of envText.split(';').filter(Boolean)) {
      const i = pair.indexOf('=');
      env[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return { name, kind, env };
  });
}

export function forkReady(file, options) {
  const child = fork(file, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}`)));
    child.on('message', (m) => m?.cmd === 'ready' && resolve({ child, port: m.port }));
  });
}
