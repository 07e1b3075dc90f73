// One mloop server in a process of its own, for serving-http.bench.mjs (which forks it with an IPC
// channel), as `mloop server` runs: its own V8 heap, event loop and log worker, so one server's
// garbage or log never costs another's CPU. Argument: JSON {dist, dir, serving, logger}. It
// answers the parent's messages: {port} once warm; 'flush' (the prediction log written), 'snapshot'
// (the log's counters), 'close'.
import { openSync, writeSync } from 'node:fs';
import { pino } from 'pino';

const { dist, dir, serving, logger: withLogger } = JSON.parse(process.argv[2]);
const { openWorkspace } = await import(`${dist}workspace/index.js`);
const { buildServer } = await import(`${dist}server/index.js`);
const devNull = openSync('/dev/null', 'w');
let warmed;
const warm = new Promise((resolve) => (warmed = resolve));
/** The logger `mloop server` makes (run-server.ts createLogger, level info), writing to /dev/null. */
const logger = pino(
  { level: 'info', base: { service: 'mloop' }, timestamp: pino.stdTimeFunctions.isoTime, redact: ['req.headers.authorization', 'headers.authorization'] },
  {
    write(line) {
      writeSync(devNull, line);
      if (/monitoring reports computed|computing the monitoring reports/.test(line)) warmed();
    },
  },
);
const ws = await openWorkspace({ workspace: dir, env: {} });
const app = await buildServer(ws, { serving, ...(withLogger ? { logger } : {}) });
await app.listen({ host: '127.0.0.1', port: 0 });
// The dashboard's start-up monitoring reports take CPU for a while after listen: report ready after them.
const t0 = performance.now();
if (withLogger) await Promise.race([warm, new Promise((r) => setTimeout(r, 300_000))]);
process.send({ port: app.server.address().port, warm_ms: Math.round(performance.now() - t0) });
process.on('message', async (m) => {
  if (m === 'flush') {
    await ws.serving.runtime().log.flush();
    process.send({ flushed: true });
  } else if (m === 'snapshot') {
    process.send({ snapshot: ws.serving.runtime().log.snapshot() });
  } else if (m === 'close') {
    await app.close();
    await ws.close();
    process.send({ closed: true }, () => process.exit(0));
  }
});
