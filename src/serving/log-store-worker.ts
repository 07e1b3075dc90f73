/**
 * Worker thread of the prediction log: opens its own connection (no lock waits) and writes the
 * batches the serving thread posts, so serialisation, SQLite inserts and fsyncs never run on the
 * thread that answers requests.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openBackend } from '../storage/index.js';
import { decodeLogSegment, type LogSegment } from './log-codec.js';
import { SqlServingStore } from './sql-serving-store.js';

interface Init {
  url: string;
  connectTimeoutMs: number;
}
type Message = { id: number; segment: LogSegment } | { id: number; close: true };

const port = parentPort!;
const init = workerData as Init;
const backend = await openBackend(init.url, { busyTimeoutMs: 0, poolSize: 2, connectTimeoutMs: init.connectTimeoutMs, create: false, statementCache: 32, durability: 'relaxed' });
const store = new SqlServingStore(backend.db);
port.on('message', (msg: Message) => {
  void (async () => {
    try {
      if ('close' in msg) {
        await backend.close();
        port.postMessage({ id: msg.id, ok: true });
        return;
      }
      await store.insertPredictions(decodeLogSegment(msg.segment));
      port.postMessage({ id: msg.id, ok: true });
    } catch (err) {
      port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
port.postMessage({ id: 0, ok: true });
