// HTTP overhead of the API layer: an authenticated mloop route against a bare Node http server
// answering a constant (the limit), both loaded from a second process in the same run.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWorkspace, openWorkspace } from '../dist/workspace/index.js';
import { createLogger, runServer } from '../dist/server/index.js';
import { loadTest, machine } from './lib.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 16;

const bare = createServer((req, res) => {
  const body = JSON.stringify({ user: 'admin', roles: [{ role: 'admin', scope: '*' }] });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
await new Promise((r) => bare.listen(0, '127.0.0.1', r));
const barePort = bare.address().port;

const parent = mkdtempSync(join(tmpdir(), 'mloop-bench-'));
const dir = join(parent, 'ws');
const init = await initWorkspace(dir, { env: {} });
const ws = await openWorkspace({ workspace: dir, env: {} });
const server = await runServer(ws, { host: '127.0.0.1', port: 0, logger: createLogger('silent') });
const auth = { authorization: `Bearer ${init.admin.token}` };

const results = {};
results.bare = await loadTest(`http://127.0.0.1:${barePort}/`, { connections: CONNECTIONS, duration: DURATION });
results.healthz = await loadTest(`${server.url}/healthz`, { connections: CONNECTIONS, duration: DURATION });
results.whoami = await loadTest(`${server.url}/v1/whoami`, { connections: CONNECTIONS, duration: DURATION, headers: auth });

await server.shutdown('bench done');
bare.close();
rmSync(parent, { recursive: true, force: true });

const m = machine();
console.log(JSON.stringify({ machine: m, results }, null, 2));
const row = (name, r) =>
  `| ${name} | ${Math.round(r.rps)} | ${(r.rps / results.bare.rps).toFixed(2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.non2xx + r.errors + r.timeouts} |`;
console.log(`
### HTTP overhead (${m.date.slice(0, 10)}, commit ${m.commit}, ${m.cpus}, ${m.memory_gib} GiB, Node ${m.node})
autocannon from a second process, ${CONNECTIONS} connections, ${DURATION} s each, one after another.

| target | req/s | vs bare | p50 ms | p99 ms | failed |
|---|---|---|---|---|---|
${row('bare Node http, constant (the limit)', results.bare)}
${row('mloop GET /healthz (no auth)', results.healthz)}
${row('mloop GET /v1/whoami (bearer token checked)', results.whoami)}
`);
