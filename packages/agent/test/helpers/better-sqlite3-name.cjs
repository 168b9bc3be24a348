// Which better-sqlite3 the tests load: Node 24 changed node::ObjectWrap and better-sqlite3 12
// then aborts when the GC frees a statement; 13 (Node-API) fixes that but crashes on Node 20.
// Both are installed (13 under the alias better-sqlite3-13); it is still the package named
// better-sqlite3 on disk, so the agent instruments either.
module.exports = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3';
