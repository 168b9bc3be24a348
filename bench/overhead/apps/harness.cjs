'use strict';
// What every bench app shares: the IPC protocol with the runner (ready / start / stop), and
// the CPU figure. CPU is this process's process.cpuUsage() delta over the measured window,
// taken on IPC messages, not on HTTP requests the load or the agent could see.
const path = require('node:path');
const variant = process.env.BENCH_VARIANT || 'none';
let cpuAtStart = null;
let startedAt = 0n;

function agentStats() {
  if (!variant.startsWith('sightline')) return null;
  try {
    // sightline-base: the agent of another checkout, whose stats are its own.
    const dir = process.env.BENCH_AGENT_DIR;
    return require(dir ? path.join(dir, 'dist', 'index.js') : '@sightline/agent').getStats();
  } catch {
    return null;
  }
}

process.on('message', (m) => {
  if (m === null || typeof m !== 'object') return;
  if (m.cmd === 'start') {
    cpuAtStart = process.cpuUsage();
    startedAt = process.hrtime.bigint();
    process.send({ cmd: 'started', stats: agentStats() });
  } else if (m.cmd === 'stop') {
    const cpu = process.cpuUsage(cpuAtStart ?? undefined);
    const wallUs = Number(process.hrtime.bigint() - startedAt) / 1000;
    const mem = process.memoryUsage();
    process.send({ cmd: 'stopped', cpuUserUs: cpu.user, cpuSystemUs: cpu.system, wallUs, rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, stats: agentStats() });
  }
});
process.on('disconnect', () => process.exit(0));

/** Tells the runner the app listens. */
function ready(port) {
  process.send({ cmd: 'ready', port });
}

/**
 * better-sqlite3 12 (a native addon built for the Node that installed it) on Node 20;
 * on Node 22 and later 13 (Node-API, prebuilt), installed for the agent's tests as
 * better-sqlite3-13. Either is the package named better-sqlite3, so the agent instruments it.
 */
function loadSqlite() {
  if (Number(process.versions.node.split('.')[0]) < 22) return require('better-sqlite3');
  const agentDir = path.join(__dirname, '..', '..', '..', 'packages', 'agent');
  return require(require.resolve('better-sqlite3-13', { paths: [agentDir] }));
}

/** An in-memory SQLite table of 1000 rows. */
function openDb() {
  const Database = loadSqlite();
  const db = new Database(':memory:');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL, price REAL NOT NULL)');
  const insert = db.prepare('INSERT INTO items (id, name, city, price) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 1000; i++) insert.run(i, `item ${i}`, ['Lyon', 'Oslo', 'Lima', 'Pune'][i % 4], i / 10);
  })();
  const select = db.prepare('SELECT id, name, city, price FROM items WHERE id = ?');
  let next = 0;
  return {
    /** One query per request, a different row each time. */
    readOne() {
      next = (next % 1000) + 1;
      return select.get(next);
    },
  };
}

const sqlWanted = process.env.BENCH_SQL !== '0';
const db = sqlWanted ? openDb() : null;
const upstreamUrl = process.env.BENCH_UPSTREAM_URL || 'http://127.0.0.1:1/';

module.exports = { ready, db, upstreamUrl, variant };
