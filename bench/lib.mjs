// Shared helpers for benchmarks: machine facts, git commit, load generation from a second process.
import { execFileSync, spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function machine() {
  return {
    date: new Date().toISOString(),
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      } catch {
        return 'unknown';
      }
    })(),
  };
}

const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

/** Runs autocannon in a child process (a second process on loopback) and returns its JSON summary. */
export function loadTest(url, { connections = 16, duration = 10, headers = {}, method = 'GET', body } = {}) {
  const args = [AUTOCANNON, '-j', '-c', String(connections), '-d', String(duration), '-m', method];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (body !== undefined) args.push('-b', body);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      resolve({
        rps: r.requests.average,
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors,
        timeouts: r.timeouts,
        total: r.requests.total,
      });
    });
  });
}

/**
 * The Node flags `mloop server` of the build in `dist` (a file URL or path ending in `/`) starts
 * its serving process with: `--max-semi-space-size` from its setting `server.semiSpaceMb`, none
 * for builds before that setting. Benchmarks start their mloop servers with them.
 */
export async function serverNodeFlags(dist) {
  const base = dist.startsWith('file:') ? dist : pathToFileURL(dist.endsWith('/') ? dist : `${dist}/`).href;
  const { SETTINGS } = await import(`${base}config/index.js`);
  const mb = SETTINGS.find((s) => s.key === 'server.semiSpaceMb')?.default ?? 0;
  return mb > 0 ? [`--max-semi-space-size=${mb}`] : [];
}
