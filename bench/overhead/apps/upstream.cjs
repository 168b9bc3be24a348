'use strict';
// The upstream the /fetch routes call, in its own process so its CPU is not the app's.
const http = require('node:http');
const body = JSON.stringify({ id: 42, name: 'upstream', ok: true });
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ cmd: 'ready', port: server.address().port }));
process.on('disconnect', () => process.exit(0));
