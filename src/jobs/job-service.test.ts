/** The jobs contract, run on SQLite and PostgreSQL: keys, claims, leases, fencing, retries, cancellation, schedules. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../storage/test-support/backends.js';
import { EffectLog, failingHandler, gateHandler, jobsFixture, type JobsFixture } from './test-support/jobs-fixture.js';
import { Scheduler, sleepHandler, slotKey } from './index.js';

describe.each(BACKENDS)('jobs on $name', (factory) => {
  let fx: JobsFixture | undefined;
  beforeEach(async (ctx) => {
    if (!(await factory.available())) ctx.skip();
    fx = await jobsFixture(factory);
  });
  afterEach(async () => {
    await fx?.tb.cleanup();
    fx = undefined;
  });

  it('enqueueing the same key twice gives one job, also when racing', async () => {
    const jobs = fx!.service([sleepHandler]);
    const a = await jobs.enqueue('alice', { type: 'sleep', key: 'k-1', payload: { ms: 0 } });
    const b = await jobs.enqueue('bob', { type: 'sleep', key: 'k-1', payload: { ms: 5 } });
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false, job: { id: a.job.id, createdBy: 'alice', payload: { ms: 0 } } });
    const raced = await Promise.all(Array.from({ length: 10 }, () => jobs.enqueue('carol', { type: 'sleep', key: 'k-2', payload: { ms: 0 } })));
    expect(new Set(raced.map((r) => r.job.id)).size).toBe(1);
    expect(raced.filter((r) => r.created)).toHaveLength(1);
    expect(await jobs.list()).toHaveLength(2);
  });

  it('rejects unknown types, bad payloads, bad keys and unknown states with the valid choices', async () => {
    const jobs = fx!.service([sleepHandler]);
    await expect(jobs.enqueue('a', { type: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('known types: sleep') });
    await expect(jobs.enqueue('a', { type: 'sleep', payload: { ms: -1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { issues: [{ path: 'ms' }] } });
    await expect(jobs.enqueue('a', { type: 'sleep', key: 'has space', payload: { ms: 1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(jobs.list({ state: 'weird' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(jobs.get('job_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('two workers never take the same job', async () => {
    const effects = new EffectLog();
    const jobs = fx!.service([effects.handler()]);
    for (let i = 0; i < 12; i++) await jobs.enqueue('a', { type: 'effect', key: `e-${i}` });
    const workers = Array.from({ length: 4 }, (_, i) => fx!.worker(jobs, { id: `w${i}`, concurrency: 3 }));
    const claimed = (await Promise.all(workers.flatMap((w) => [w.poll(), w.poll(), w.poll(), w.poll()]))).filter((x) => x !== undefined);
    await Promise.all(workers.map((w) => w.stop()));
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed).toHaveLength(12);
    expect(effects.runs).toBe(12);
    expect((await jobs.counts()).succeeded).toBe(12);
  });

  it('a successful job stores its result, progress-free logs and attempt count', async () => {
    const effects = new EffectLog();
    const jobs = fx!.service([effects.handler()]);
    const { job } = await jobs.enqueue('a', { type: 'effect', key: 'ok' });
    expect(await fx!.worker(jobs).runOnce()).toEqual({ jobId: job.id, attempt: 1, outcome: 'succeeded' });
    const shown = await jobs.show(job.id);
    expect(shown.job).toMatchObject({ state: 'succeeded', attempts: 1, result: { effect: 'attempt 1' }, leaseOwner: null });
    expect(shown.logs.map((l) => l.message)).toEqual([expect.stringContaining('attempt 1 of 3 started'), 'attempt 1 succeeded']);
  });

  it('retries with exponential backoff, then dead-letters after the last attempt; retry brings it back', async () => {
    const jobs = fx!.service([failingHandler('UNAVAILABLE')]);
    const { job } = await jobs.enqueue('a', { type: 'fail-unavailable', maxAttempts: 3, backoffMs: 1000 });
    const w = fx!.worker(jobs);
    expect((await w.runOnce())?.outcome).toBe('failed');
    let j = await jobs.get(job.id);
    expect(j).toMatchObject({ state: 'queued', attempts: 1, error: { code: 'UNAVAILABLE', attempt: 1 } });
    expect(Date.parse(j.runAt) - fx!.clock.ms).toBe(1000);
    expect(await w.runOnce()).toBeUndefined(); // not before its backoff
    fx!.clock.advance(1000);
    await w.runOnce();
    j = await jobs.get(job.id);
    expect(Date.parse(j.runAt) - fx!.clock.ms).toBe(2000);
    fx!.clock.advance(2000);
    await w.runOnce();
    j = await jobs.get(job.id);
    expect(j).toMatchObject({ state: 'dead', attempts: 3, error: { attempt: 3 } });
    expect(j.finishedAt).not.toBeNull();
    await expect(jobs.cancel('a', job.id)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect(await jobs.retry('a', job.id)).toMatchObject({ state: 'queued', attempts: 0, error: null });
    await expect(jobs.retry('a', job.id)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('a permanent error fails at once without retrying', async () => {
    for (const code of ['INVALID_ARGUMENT', 'CANCELLED'] as const) {
      const jobs = fx!.service([failingHandler(code)]);
      const { job } = await jobs.enqueue('a', { type: `fail-${code.toLowerCase()}`, maxAttempts: 5 });
      await fx!.worker(jobs).runOnce();
      expect(await jobs.get(job.id)).toMatchObject({ state: 'failed', attempts: 1, error: { code } });
    }
  });

  it('cancels a queued job at once and a running one cooperatively through its AbortSignal', async () => {
    const gate = gateHandler();
    const jobs = fx!.service([gate, sleepHandler]);
    const queued = await jobs.enqueue('a', { type: 'sleep', payload: { ms: 1 }, priority: -1 });
    expect(await jobs.cancel('a', queued.job.id)).toMatchObject({ state: 'cancelled' });
    const { job } = await jobs.enqueue('a', { type: 'gate' });
    const w = fx!.worker(jobs, { heartbeatMs: 20 });
    const id = await w.poll();
    expect(id).toBe(job.id);
    await gate.started;
    expect(await jobs.cancel('bob', job.id)).toMatchObject({ state: 'running', cancelRequested: true });
    await w.stop();
    expect(await jobs.get(job.id)).toMatchObject({ state: 'cancelled' });
    expect((await jobs.show(job.id)).logs.map((l) => l.message)).toContain('cancel requested by bob');
  });

  it('a worker paused past its lease loses the job to another; its late result is discarded', async () => {
    const gate = gateHandler('work');
    const jobs = fx!.service([gate]);
    const { job } = await jobs.enqueue('a', { type: 'work', key: 'paused' });
    // A never heartbeats within the test: as if the process were stopped.
    const a = fx!.worker(jobs, { id: 'A', leaseMs: 1000, heartbeatMs: 3_600_000 });
    await a.poll();
    await gate.started;
    fx!.clock.advance(1001);
    const jobsB = fx!.service([{ type: 'work', description: 'B', run: async () => ({ value: 'from B' }) }]);
    const b = fx!.worker(jobsB, { id: 'B', leaseMs: 1000 });
    fx!.clock.advance(1000); // past the backoff the reaper set
    expect(await b.runOnce()).toBeUndefined(); // the reaper requeues; the backoff holds it back
    fx!.clock.advance(10_000);
    expect(await b.runOnce()).toMatchObject({ jobId: job.id, attempt: 2, outcome: 'succeeded' });
    gate.release('from A, late');
    await a.stop();
    expect(a.reports).toEqual([{ jobId: job.id, attempt: 1, outcome: 'discarded' }]);
    const shown = await jobs.show(job.id);
    expect(shown.job).toMatchObject({ state: 'succeeded', attempts: 2, result: { value: 'from B' } });
    expect(shown.logs.map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('lease expired: worker A'), expect.stringContaining('attempt 1 by A lost its lease; its outcome (succeeded) was discarded')]),
    );
  });

  it('a heartbeat extends the lease; a stale fencing token can neither heartbeat nor finish', async () => {
    const jobs = fx!.service([sleepHandler]);
    const { job } = await jobs.enqueue('a', { type: 'sleep', payload: { ms: 1 } });
    const now = fx!.clock.now().toISOString();
    const later = new Date(fx!.clock.ms + 1000).toISOString();
    const claim = await jobs.store.claim(['sleep'], 'w', 'tok-1', now, later);
    expect(claim?.job).toMatchObject({ id: job.id, state: 'running', attempts: 1, leaseOwner: 'w' });
    expect(await jobs.store.heartbeat(job.id, 'tok-1', now, new Date(fx!.clock.ms + 5000).toISOString())).toEqual({ cancelRequested: false });
    expect(await jobs.store.reapExpired(new Date(fx!.clock.ms + 2000).toISOString(), () => now)).toEqual([]);
    expect(await jobs.store.reapExpired(new Date(fx!.clock.ms + 6000).toISOString(), () => now)).toHaveLength(1);
    expect(await jobs.store.heartbeat(job.id, 'tok-1', now, later)).toBeUndefined();
    expect(await jobs.store.finish(job.id, 'tok-1', now, { kind: 'succeeded', result: 1 })).toBe(false);
    expect(await jobs.get(job.id)).toMatchObject({ state: 'queued', result: null });
  });

  it('an expired lease on the last attempt dead-letters the job; a cancelled one whose worker died ends cancelled', async () => {
    const jobs = fx!.service([sleepHandler]);
    const one = await jobs.enqueue('a', { type: 'sleep', payload: { ms: 1 }, maxAttempts: 1 });
    const now = fx!.clock.now().toISOString();
    await jobs.store.claim(['sleep'], 'w', 't1', now, now);
    const two = await jobs.enqueue('a', { type: 'sleep', payload: { ms: 1 } });
    await jobs.store.claim(['sleep'], 'w', 't2', now, now);
    await jobs.cancel('a', two.job.id);
    fx!.clock.advance(1);
    await jobs.store.reapExpired(fx!.clock.now().toISOString(), () => now);
    expect(await jobs.get(one.job.id)).toMatchObject({ state: 'dead', error: { code: 'UNAVAILABLE' } });
    expect(await jobs.get(two.job.id)).toMatchObject({ state: 'cancelled' });
  });

  it('the monthly schedule fires once per slot across a restart', async () => {
    const effects = new EffectLog();
    const jobs = fx!.service([effects.handler()]);
    await jobs.addSchedule('alice', { name: 'monthly-retrain', cron: '0 3 1 * *', jobType: 'effect' });
    expect(await new Scheduler(jobs).tick()).toEqual([]); // created mid-January: nothing due yet
    fx!.clock.set('2025-02-01T03:00:00.000Z');
    const first = await new Scheduler(jobs).tick();
    expect(first).toMatchObject([{ schedule: 'monthly-retrain', slot: '2025-02-01T03:00:00.000Z', created: true }]);
    // "Restart": a new service and scheduler over the same database, later in the same slot.
    fx!.clock.set('2025-02-20T00:00:00.000Z');
    const restarted = fx!.service([effects.handler()]);
    expect(await new Scheduler(restarted).tick()).toEqual([]);
    expect((await restarted.getSchedule('monthly-retrain')).lastSlot).toBe('2025-02-01T03:00:00.000Z');
    fx!.clock.set('2025-03-01T03:00:00.000Z');
    expect(await new Scheduler(restarted).tick()).toMatchObject([{ slot: '2025-03-01T03:00:00.000Z', created: true }]);
    expect(await new Scheduler(restarted).tick()).toEqual([]);
    const all = await restarted.list({ schedule: 'monthly-retrain' });
    expect(all.map((j) => j.key).sort()).toEqual([slotKey('monthly-retrain', '2025-02-01T03:00:00.000Z'), slotKey('monthly-retrain', '2025-03-01T03:00:00.000Z')]);
    expect((await restarted.getSchedule('monthly-retrain')).nextSlot).toBe('2025-04-01T03:00:00.000Z');
  });

  it('two schedulers at the same slot enqueue one job', async () => {
    const effects = new EffectLog();
    const jobs = fx!.service([effects.handler()]);
    await jobs.addSchedule('alice', { name: 'daily', cron: '0 2 * * *', jobType: 'effect' });
    fx!.clock.set('2025-01-16T02:00:00.000Z');
    const firings = (await Promise.all(Array.from({ length: 4 }, () => new Scheduler(fx!.service([effects.handler()])).tick()))).flat();
    // A scheduler that reads the schedule after another marked the slot sees nothing due.
    expect(firings.filter((f) => f.created)).toHaveLength(1);
    expect(await jobs.list({ schedule: 'daily' })).toHaveLength(1);
    expect(new Set(firings.map((f) => f.job.id)).size).toBe(1);
  });

  it('refuses an unknown time zone before storing anything; a known one is kept', async () => {
    const jobs = fx!.service([sleepHandler]);
    for (const timezone of ['Mars/Base', '+02:00', '']) {
      await expect(jobs.addSchedule('a', { name: 'bad', cron: '0 2 * * *', timezone, jobType: 'sleep', payload: { ms: 1 } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: `unknown time zone '${timezone}'`,
      });
    }
    // The zone is checked before the payload, so its error is the one shown.
    await expect(jobs.addSchedule('a', { name: 'bad', cron: '0 2 * * *', timezone: 'Mars/Base', jobType: 'sleep' })).rejects.toMatchObject({ message: "unknown time zone 'Mars/Base'" });
    expect(await jobs.listSchedules()).toEqual([]);
    const ok = await jobs.addSchedule('a', { name: 'berlin', cron: '0 2 * * *', timezone: 'Europe/Berlin', jobType: 'sleep', payload: { ms: 1 } });
    expect(ok.schedule).toMatchObject({ timezone: 'Europe/Berlin', nextSlot: '2025-01-16T01:00:00.000Z' });
    expect(ok.schedule.problem).toBeUndefined();
  });

  it('a stored schedule that no longer parses is listed with its problem and skipped; the others still fire', async () => {
    const effects = new EffectLog();
    const jobs = fx!.service([effects.handler()]);
    await jobs.addSchedule('alice', { name: 'every-min', cron: '* * * * *', jobType: 'effect' });
    // As written by an older mloop that did not check the zone.
    await jobs.store.putSchedule({ name: 'broken', cron: '0 2 * * *', timezone: 'Mars/Base', jobType: 'effect', payload: {}, enabled: true, lastSlot: null, createdAt: fx!.clock.now().toISOString(), createdBy: 'alice' });
    const listed = await jobs.listSchedules();
    expect(listed.find((s) => s.name === 'broken')).toMatchObject({ nextSlot: null, problem: "unknown time zone 'Mars/Base'" });
    expect(listed.find((s) => s.name === 'every-min')).toMatchObject({ nextSlot: '2025-01-15T12:01:00.000Z' });
    expect(listed.find((s) => s.name === 'every-min')!.problem).toBeUndefined();
    expect(await jobs.getSchedule('broken')).toMatchObject({ problem: "unknown time zone 'Mars/Base'" });
    const errors: unknown[] = [];
    fx!.clock.set('2025-01-16T03:00:00.000Z');
    const firings = await new Scheduler(jobs, (err) => errors.push(err)).tick();
    expect(firings).toMatchObject([{ schedule: 'every-min', slot: '2025-01-16T03:00:00.000Z', created: true }]);
    expect(errors).toMatchObject([{ code: 'INVALID_ARGUMENT', message: "schedule 'broken' skipped: unknown time zone 'Mars/Base'" }]);
    expect(await jobs.list({ schedule: 'broken' })).toEqual([]);
  });

  it('rejects a bad cron, a clashing schedule and removing an unknown one; same definition twice is a no-op', async () => {
    const jobs = fx!.service([sleepHandler]);
    await expect(jobs.addSchedule('a', { name: 'x', cron: 'every day', jobType: 'sleep', payload: { ms: 1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(jobs.addSchedule('a', { name: 'Bad Name', cron: '* * * * *', jobType: 'sleep', payload: { ms: 1 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(jobs.addSchedule('a', { name: 'x', cron: '* * * * *', jobType: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await jobs.addSchedule('a', { name: 'x', cron: '0 * * * *', jobType: 'sleep', payload: { ms: 1 } })).created).toBe(true);
    expect((await jobs.addSchedule('a', { name: 'x', cron: '0 * * * *', jobType: 'sleep', payload: { ms: 1 } })).created).toBe(false);
    await expect(jobs.addSchedule('a', { name: 'x', cron: '5 * * * *', jobType: 'sleep', payload: { ms: 1 } })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await jobs.removeSchedule('x');
    await expect(jobs.removeSchedule('x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await jobs.listSchedules()).toEqual([]);
  });
});
