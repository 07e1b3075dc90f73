/**
 * Jobs across processes: `mloop worker` child processes killed with SIGKILL, stopped with SIGSTOP
 * past their lease, restarted, and cut off from PostgreSQL; the CLI for jobs and schedules.
 * Effects are registry versions made by `train` jobs (run key = job key): exactly one per job.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../storage/test-support/backends.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { CuttableProxy, runCliOnce, startCli, waitFor, type CliProcess } from './test-support/worker-process.js';
import type { Job } from './index.js';

const WORKER_ENV = { MLOOP_JOBS_LEASE_MS: '1500', MLOOP_JOBS_POLL_MS: '50', MLOOP_JOBS_BACKOFF_MS: '100', MLOOP_JOBS_SCHEDULE_INTERVAL_MS: '1000' };

function tabularCsv(n: number, seed: number): string {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines = ['x1,x2,color,label'];
  for (let i = 0; i < n; i++) {
    const x1 = rand() * 10;
    const x2 = rand() * 5;
    const color = ['red', 'green', 'blue'][Math.floor(rand() * 3)]!;
    const score = x1 + (color === 'red' ? 3 : 0) + x2 / 2 + (rand() - 0.5) * 3;
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${color},${score > 7 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

async function withData(t: TempWorkspace): Promise<void> {
  const file = join(t.dir, 'tab.csv');
  writeFileSync(file, tabularCsv(4000, 7));
  await t.ws.datasets.importFile({ file, name: 'tab', actor: 'test' });
}

const trainJob = (i: number) => ({ type: 'train', key: `train-${i}`, maxAttempts: 6, backoffMs: 100, payload: { dataset: 'tab@1', name: 'acc', label: 'label', seed: i } });
const ownedBy = (p: CliProcess) => (j: Job) => j.leaseOwner?.includes(`:${p.child.pid}:`) === true;

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

function worker(t: TempWorkspace, extra: Record<string, string> = {}): CliProcess {
  const p = startCli(['worker', '--workspace', t.dir], { ...WORKER_ENV, ...extra });
  cleanups.push(async () => {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  });
  return p;
}

async function pgWorkspace(host = '127.0.0.1', port = new URL(POSTGRES_ADMIN_URL).port || '5432'): Promise<TempWorkspace> {
  const name = `mloop_jobs_${Math.random().toString(16).slice(2, 10)}`;
  const url = new URL(POSTGRES_ADMIN_URL);
  url.hostname = host;
  url.port = port;
  url.pathname = `/${name}`;
  const t = await tempWorkspace({ databaseUrl: url.toString() });
  cleanups.push(async () => {
    await t.cleanup();
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => admin.end());
  });
  return t;
}

async function allSucceeded(t: TempWorkspace, n: number): Promise<Job[] | undefined> {
  const jobs = await t.ws.jobs.list({ limit: 1000 });
  const failed = jobs.find((j) => j.state === 'failed' || j.state === 'dead');
  if (failed) throw new Error(`job ${failed.key} ${failed.state}: ${JSON.stringify(failed.error)}`);
  return jobs.filter((j) => j.state === 'succeeded').length === n ? jobs : undefined;
}

describe('jobs across processes', () => {
  it('with PostgreSQL and two mloop worker processes, 20 queued training jobs finish with exactly 20 versions while one worker is killed and restarted mid-run', async (ctx) => {
    if (!(await postgresReachable())) {
      if (process.env['CI'] === 'true') throw new Error('PostgreSQL must be reachable in CI');
      ctx.skip();
    }
    const t = await pgWorkspace();
    await withData(t);
    for (let i = 1; i <= 20; i++) await t.ws.jobs.enqueue('test', trainJob(i));
    const a = worker(t);
    const b = worker(t);
    const victims = await waitFor('worker A to hold a job', async () => {
      const held = (await t.ws.jobs.list({ state: 'running' })).filter(ownedBy(a));
      return held.length > 0 ? held : undefined;
    });
    a.child.kill('SIGKILL');
    await a.exited;
    const a2 = worker(t);
    const jobs = await waitFor('20 succeeded jobs', () => allSucceeded(t, 20), 120_000);
    const versions = await t.ws.registry.listVersions('acc');
    expect(versions).toHaveLength(20);
    expect(new Set(jobs.map((j) => (j.result as { version: number }).version)).size).toBe(20);
    // The killed worker's job ran again after its lease ran out, and still made one version.
    const victim = jobs.find((j) => j.id === victims[0]!.id)!;
    expect(victim.attempts).toBeGreaterThanOrEqual(2);
    expect((await t.ws.jobs.show(victim.id)).logs.map((l) => l.message)).toContainEqual(expect.stringContaining('lease expired'));
    for (const p of [b, a2]) p.child.kill('SIGTERM');
    expect(await Promise.all([b.exited, a2.exited])).toEqual([0, 0]);
  }, 180_000);

  it('a worker stopped (SIGSTOP) past its lease loses its job to another; resumed, its late result is discarded', async () => {
    // On PostgreSQL: a worker stopped inside a transaction would hold SQLite's single write lock
    // for as long as it is stopped, while PostgreSQL ends idle-in-transaction sessions.
    const onPostgres = await postgresReachable();
    const t = onPostgres ? await pgWorkspace() : await tempWorkspace();
    if (!onPostgres) cleanups.push(() => t.cleanup());
    const { job } = await t.ws.jobs.enqueue('test', { type: 'sleep', key: 'nap', payload: { ms: 1500 }, backoffMs: 0 });
    const a = worker(t);
    await waitFor('A to take the job', async () => ownedBy(a)(await t.ws.jobs.get(job.id)));
    a.child.kill('SIGSTOP');
    const b = worker(t);
    await waitFor('B to finish the job', async () => (await t.ws.jobs.get(job.id)).state === 'succeeded', 60_000);
    a.child.kill('SIGCONT');
    const logs = await waitFor('A to report its discarded result', async () => {
      const lines = (await t.ws.jobs.show(job.id)).logs.map((l) => l.message);
      return lines.some((l) => l.includes('lost its lease')) ? lines : undefined;
    });
    expect(logs).toContainEqual(expect.stringMatching(/^attempt 2 succeeded$/));
    expect(logs.filter((l) => / succeeded$/.test(l))).toHaveLength(1);
    expect(await t.ws.jobs.get(job.id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    for (const p of [a, b]) p.child.kill('SIGTERM');
    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
  }, 120_000);

  it('with PostgreSQL unreachable for a while, jobs resume and each still makes exactly one version', async (ctx) => {
    if (!(await postgresReachable())) {
      if (process.env['CI'] === 'true') throw new Error('PostgreSQL must be reachable in CI');
      ctx.skip();
    }
    const admin = new URL(POSTGRES_ADMIN_URL);
    const proxy = new CuttableProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    await proxy.up();
    cleanups.push(() => proxy.down());
    const t = await pgWorkspace('127.0.0.1', String(proxy.port));
    await withData(t);
    for (let i = 1; i <= 8; i++) await t.ws.jobs.enqueue('test', trainJob(i));
    const w = worker(t);
    await waitFor('a first finished job', async () => (await t.ws.jobs.counts()).succeeded >= 1);
    await proxy.down();
    await new Promise((r) => setTimeout(r, 4000));
    await proxy.up();
    await waitFor('8 succeeded jobs', () => allSucceeded(t, 8), 120_000).catch(async (err: Error) => {
      const jobs = await t.ws.jobs.list();
      throw new Error(`${err.message}\n${jobs.map((j) => `${j.key} ${j.state} ${j.attempts} ${j.leaseOwner ?? ''} ${j.leaseExpiresAt ?? ''} ${j.runAt}`).join('\n')}\n${w.output().slice(-3000)}`);
    });
    expect(await t.ws.registry.listVersions('acc')).toHaveLength(8);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toContain('database reachable again');
  }, 180_000);

  it('the lifecycle loop with PostgreSQL unreachable for a while: every scheduled check records one decision, every decision to retrain one job, every job one run and one version', async (ctx) => {
    if (!(await postgresReachable())) {
      if (process.env['CI'] === 'true') throw new Error('PostgreSQL must be reachable in CI');
      ctx.skip();
    }
    const admin = new URL(POSTGRES_ADMIN_URL);
    const proxy = new CuttableProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    await proxy.up();
    cleanups.push(() => proxy.down());
    const t = await pgWorkspace('127.0.0.1', String(proxy.port));
    await withData(t);
    const first = await t.ws.jobs.enqueue('test', trainJob(0));
    const w0 = worker(t, { MLOOP_JOBS_SCHEDULE_INTERVAL_MS: '500' });
    await waitFor('the first model', async () => (await t.ws.jobs.get(first.job.id)).state === 'succeeded', 60_000);
    await t.ws.registry.setAlias('test', 'acc', 'champion', 1, 'first model');
    // A retraining check every 2 seconds that always retrains (the schedule trigger, no cool-down).
    await t.ws.retraining.setPolicy('test', {
      model: 'acc',
      training: { dataset: 'tab@1', settings: { label: 'label', seed: 1 } },
      evaluation: { holdout: { by: 'random', fraction: 0.2, seed: 1 } },
      gate: { rules: [{ metric: 'accuracy', min: 0 }] },
      promotion: 'auto',
      triggers: { schedule: true, cooldown_hours: 0 },
      schedules: { monitoring: false, retraining_check: '*/2 * * * * *' },
    });
    const promoted = async (n: number) => (await t.ws.retraining.listRuns({ model: 'acc', states: ['promoted'] })).length >= n;
    await waitFor('a first promoted run', () => promoted(1), 60_000);
    await proxy.down();
    await new Promise((r) => setTimeout(r, 4000));
    await proxy.up();
    const before = (await t.ws.retraining.listRuns({ model: 'acc', states: ['promoted'] })).length;
    await waitFor('two more promoted runs after the outage', () => promoted(before + 2), 120_000);
    await t.ws.jobs.removeSchedule('acc.retrain-check');
    w0.child.kill('SIGTERM');
    expect(await w0.exited).toBe(0);

    const decisions = await t.ws.retraining.listDecisions({ model: 'acc', limit: 1000 });
    const checks = await t.ws.jobs.list({ type: 'retrain-check', limit: 1000 });
    const retrains = await t.ws.jobs.list({ type: 'retrain', limit: 1000 });
    const runs = await t.ws.retraining.listRuns({ model: 'acc', limit: 1000 });
    // One decision per finished check (keyed by the check's job key), one job per decision to retrain.
    expect(new Set(decisions.map((d) => d.key)).size).toBe(decisions.length);
    for (const c of checks.filter((j) => j.state === 'succeeded')) expect(decisions.filter((d) => d.key === c.key)).toHaveLength(1);
    const toRetrain = decisions.filter((d) => d.retrain);
    expect(toRetrain.every((d) => d.jobId !== null)).toBe(true);
    expect(retrains.map((j) => j.key).sort()).toEqual(toRetrain.map((d) => `retrain:${d.key}`).sort());
    // One run per retrain job, and exactly one new version per run that trained.
    expect(new Set(runs.map((r) => r.runKey)).size).toBe(runs.length);
    expect(runs.every((r) => retrains.some((j) => j.key === r.runKey))).toBe(true);
    const trained = runs.filter((r) => r.challenger !== null);
    expect(new Set(trained.map((r) => r.challenger)).size).toBe(trained.length);
    const versions = await t.ws.registry.listVersions('acc');
    expect(new Set(versions.map((v) => v.runKey)).size).toBe(versions.length);
    expect(versions.map((v) => v.runKey).filter((k) => k !== 'job:train-0').every((k) => retrains.some((j) => k === `retrain:${j.key}`))).toBe(true);
    for (const r of trained) expect(versions.map((v) => `acc@${v.version}`)).toContain(r.challenger);
    expect(trained.length).toBeGreaterThanOrEqual(before + 2);
  }, 240_000);

  it('mloop jobs, schedules and worker from the command line: enqueue once per key, drain on SIGTERM, errors with exit codes', async () => {
    const t = await tempWorkspace();
    cleanups.push(() => t.cleanup());
    const cli = (...args: string[]) => runCliOnce(['--workspace', t.dir, ...args], WORKER_ENV);
    const first = await cli('--json', 'jobs', 'enqueue', 'sleep', '--payload', '{"ms":300}', '--key', 'cli-1');
    expect(first.code).toBe(0);
    const id = (JSON.parse(first.output) as { job: { id: string } }).job.id;
    const again = await cli('jobs', 'enqueue', 'sleep', '--payload', '{"ms":300}', '--key', 'cli-1');
    expect(again.output).toContain(`exists already: ${id}`);
    expect((await cli('jobs', 'enqueue', 'nope')).code).toBe(2);
    expect((await cli('jobs', 'enqueue', 'sleep', '--payload', '[1]')).code).toBe(2);
    expect((await cli('jobs', 'show', 'job_missing')).code).toBe(3);
    expect((await cli('schedules', 'add', 'hourly', '--cron', '0 * * * *', '--type', 'sleep', '--payload', '{"ms":1}')).code).toBe(0);
    expect((await cli('schedules', 'add', 'hourly', '--cron', '5 * * * *', '--type', 'sleep', '--payload', '{"ms":1}')).code).toBe(4);
    expect((await cli('schedules', 'add', 'bad', '--cron', 'sometimes', '--type', 'sleep')).code).toBe(2);
    expect((await cli('schedules', 'list')).output).toMatch(/hourly\s+0 \* \* \* \*\s+UTC\s+sleep/);
    const w = startCli(['worker', '--workspace', t.dir], WORKER_ENV);
    cleanups.push(async () => void w.child.kill('SIGKILL'));
    await waitFor('the worker to start the job', async () => (await t.ws.jobs.get(id)).state === 'running');
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(await t.ws.jobs.get(id)).toMatchObject({ state: 'succeeded' }); // drained, not abandoned
    const list = await cli('jobs', 'list', '--state', 'succeeded');
    expect(list.output).toContain(id);
    expect((await cli('jobs', 'cancel', id)).code).toBe(6);
    expect((await cli('jobs', 'show', id)).output).toContain('attempt 1 succeeded');
    expect((await cli('schedules', 'remove', 'hourly')).code).toBe(0);
    expect((await cli('schedules', 'remove', 'hourly')).code).toBe(3);
  }, 60_000);
});
