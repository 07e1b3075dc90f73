// The limit of serving-http.bench.mjs, (a): a bare Node http server answering a constant of the
// predict answer's shape, in a process of its own (forked with an IPC channel; it sends {port}
// once listening and exits on 'close'). Until 2026-11-27 it ran inside the benchmark's process,
// which had just trained the model: the same server answered ~65k req/s there against ~80k in a
// fresh process (bench/RESULTS.md, Session 8), which flattered every ratio to it.
import { createServer } from 'node:http';

const constant = JSON.stringify({
  model: 'support',
  model_version: 1,
  predictions: [
    {
      label: 'billing',
      probabilities: { billing: 0.9 },
      confidence: 0.9,
      decision: 'auto',
      model_version: 1,
      prediction_id: 'prd_0',
    },
  ],
});
/** Reads the request body (as a predict route must) and answers the constant. */
export function bareHandler(req, res) {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(constant) });
    res.end(constant);
  });
}

if (process.send) {
  const server = createServer(bareHandler);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => m === 'close' && server.close(() => process.exit(0)));
}
