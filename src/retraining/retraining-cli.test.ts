/** `mloop policies|runs|approvals` and `mloop models rollback` in-process: output, --json, exit codes. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.js';
import { generateSupportRequests, supportRequestsToCsv } from '../demo/index.js';
import { trainModel } from '../training/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

let t: TempWorkspace;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['--workspace', t.dir, ...args], { stdout, stderr, env: {}, cwd: t.dir });
  return { code, stdout: out, stderr: err };
}

beforeAll(async () => {
  t = await tempWorkspace();
  for (const [name, count, seed] of [['tickets', 1000, 3], ['small', 60, 5]] as const) {
    const file = join(t.dir, `${name}.csv`);
    writeFileSync(file, supportRequestsToCsv(generateSupportRequests({ count, seed, launch: false })));
    await t.ws.datasets.importFile({ file, name, actor: 'test', roles: { text: ['text'], label: ['intent'] } });
  }
  const weak = await trainModel({ datasets: t.ws.datasets, registry: t.ws.registry }, { dataset: 'small@1', name: 'support', label: 'intent', text: 'text', actor: 'test' });
  await t.ws.registry.setAlias('test', 'support', 'champion', weak.version.version, 'first model');
  writeFileSync(join(t.dir, 'gate.yaml'), 'name: beats\nrules:\n  - metric: accuracy\n    beats_champion_by: 0.02\n    bound: lower\n');
  writeFileSync(
    join(t.dir, 'policy.yaml'),
    'training:\n  dataset: tickets\n  settings: {label: intent, text: text, seed: 1}\nevaluation:\n  holdout: {by: stratified, fraction: 0.25, seed: 7}\ngate: gate.yaml\npromotion: approval\napproval: {expires_in_hours: 48}\n',
  );
  writeFileSync(join(t.dir, 'bad.json'), JSON.stringify({ training: {}, gate: { rules: [] }, promotion: 'sometimes' }));
}, 120_000);
afterAll(async () => t?.cleanup());

describe('mloop policies / runs / approvals / models rollback', () => {
  it('sets a policy from YAML with its gate file, runs it, approves, and rolls back', async () => {
    const set = await cli('policies', 'set', 'support', 'policy.yaml');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('policy of support set');
    const shown = JSON.parse((await cli('--json', 'policies', 'show', 'support')).stdout);
    expect(shown.policy.gate.rules[0]).toMatchObject({ metric: 'accuracy', beats_champion_by: 0.02, bound: 'lower' });
    expect((await cli('policies', 'list')).stdout).toContain('holdout (stratified)');

    const started = JSON.parse((await cli('--json', 'runs', 'start', 'support', '--now', '--key', 'monthly-1')).stdout);
    expect(started.run.state).toBe('awaiting_approval');
    expect(started.run.steps.find((s: { step: string }) => s.step === 'evaluation_data').details.holdout).toMatch(/^tickets-holdout@\d+$/);
    const show = await cli('runs', 'show', started.run.id);
    expect(show.stdout).toContain('awaiting_approval');
    expect(show.stdout).toContain('gate');
    expect((await cli('runs', 'list')).stdout).toContain(started.run.id);
    // Moving the waiting run on reads the policy: it stays until the run ends.
    const busy = await cli('policies', 'remove', 'support');
    expect(busy.code).toBe(6);
    expect(busy.stderr).toContain(`run ${started.run.id} of support is awaiting_approval`);

    const list = JSON.parse((await cli('--json', 'approvals', 'list', '--status', 'pending')).stdout);
    expect(list.approvals).toHaveLength(1);
    const id = list.approvals[0].id as string;
    const ok = await cli('approvals', 'approve', id, '--comment', 'looks good');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`support@champion → ${list.approvals[0].version}`);
    expect((await cli('approvals', 'reject', id, '--comment', 'changed my mind')).code).toBe(6);

    const back = await cli('models', 'rollback', 'support@champion', '--reason', 'complaints');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('(rollback: complaints)');
    expect((await t.ws.registry.getModel('support')).aliases['champion']).toBe(1);
  }, 120_000);

  it('runs start with a key used before says the run exists and gives its state, instead of "queued" again', async () => {
    const first = await cli('runs', 'start', 'support', '--key', 'dup-1');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^queued retrain job job_\S+ \(key dup-1\)/);
    const again = await cli('runs', 'start', 'support', '--key', 'dup-1');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('queued retrain job');
    expect(again.stdout).toContain('(key dup-1) exists already, nothing queued: job queued, no run yet');
    // A key whose run went through (the --now run above): its run and state.
    const done = JSON.parse((await cli('--json', 'runs', 'start', 'support', '--key', 'monthly-1')).stdout);
    expect(done.created).toBe(false);
    expect(done.run).toMatchObject({ id: expect.stringMatching(/^run_/), state: expect.any(String) });
    const text = await cli('runs', 'start', 'support', '--key', 'monthly-1');
    expect(text.stdout).toContain(`run ${done.run.id} ${done.run.state}`);
    expect((await t.ws.jobs.list({ type: 'retrain' })).filter((j) => j.key === 'dup-1')).toHaveLength(1);
  });

  it('checks the triggers and lists the decisions with their reasons; runs advance', async () => {
    expect((await cli('schedules', 'list')).stdout).toMatch(/support\.monitor\s+0 2 \* \* \*\s+UTC\s+monitor/);
    const check = await cli('retraining', 'check', 'support', '--source', 'schedule', '--key', 'cli-check-1');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/RETRAIN — held back|RETRAIN — retrain: schedule|no — held back/);
    expect(check.stdout).toMatch(/schedule\s+yes\s+yes\s+schedule: the scheduled retraining check is due/);
    const listed = JSON.parse((await cli('--json', 'retraining', 'decisions', '--model', 'support')).stdout);
    expect(listed.decisions[0]).toMatchObject({ key: 'cli-check-1', source: 'schedule' });
    expect((await cli('retraining', 'decision', 'cli-check-1')).stdout).toContain('new_labels');
    expect((await cli('retraining', 'check', 'support', '--source', 'sometimes')).code).toBe(2);
    expect((await cli('retraining', 'decision', 'dec_nope')).code).toBe(3);
    expect((await cli('runs', 'advance')).stdout).toContain('no run moved on');
    expect((await cli('runs', 'list', '--state', 'promoted')).stdout).not.toContain('awaiting_approval');
    expect((await cli('runs', 'list', '--state', 'sometimes')).code).toBe(2);
    // Removing the policy removes its schedules; runs and decisions stay.
    const removed = await cli('policies', 'remove', 'support');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('policy of support removed');
    expect((await cli('policies', 'show', 'support')).code).toBe(3);
    expect((await cli('schedules', 'list')).stdout).not.toContain('support.');
    expect(JSON.parse((await cli('--json', 'retraining', 'decisions', '--model', 'support')).stdout).decisions).not.toHaveLength(0);
    expect((await cli('policies', 'remove', 'support')).code).toBe(3);
    expect((await cli('policies', 'set', 'support', 'policy.yaml')).code).toBe(0);
  });

  it('explains bad input with exit codes', async () => {
    const bad = await cli('--json', 'policies', 'set', 'support', 'bad.json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
    expect((await cli('policies', 'show', 'nobody')).code).toBe(3);
    // A model that was never trained: nothing stored, no schedules.
    const ghost = await cli('policies', 'set', 'nomodel', 'policy.yaml');
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toContain("error[NOT_FOUND]: model 'nomodel' not found");
    expect(ghost.stderr).toContain("'mloop models list' shows the models");
    expect((await cli('policies', 'show', 'nomodel')).code).toBe(3);
    expect((await cli('--json', 'schedules', 'list')).stdout).not.toContain('nomodel');
    expect((await cli('approvals', 'approve', 'apr_nope', '--comment', 'x')).code).toBe(3);
    expect((await cli('approvals', 'list', '--status', 'maybe')).code).toBe(2);
    expect((await cli('models', 'rollback', 'support', '--reason', 'x')).code).toBe(2);
    expect((await cli('runs', 'show', 'run_nope')).code).toBe(3);
  });

  it('refuses at set time a time holdout (the default) on data without a time column, naming the policy setting', async () => {
    // Support requests without their created_at column: nothing to split by time.
    const noTime = (count: number, seed: number) =>
      ['text,intent', ...generateSupportRequests({ count, seed, launch: false }).map((r) => `"${r.text.replace(/"/g, '""')}",${r.intent}`)].join('\n') + '\n';
    writeFileSync(join(t.dir, 'notime.csv'), noTime(300, 8));
    await t.ws.datasets.importFile({ file: join(t.dir, 'notime.csv'), name: 'notime', actor: 'test', roles: { text: ['text'], label: ['intent'] } });
    const before = JSON.parse((await cli('--json', 'policies', 'show', 'support')).stdout);
    const policy = (dataset: string, evaluation = '') => `training:\n  dataset: ${dataset}\n  settings: {label: intent, text: text, seed: 1}\n${evaluation}gate: gate.yaml\npromotion: approval\n`;
    writeFileSync(join(t.dir, 'no-eval.yaml'), policy('notime'));
    const refused = await cli('policies', 'set', 'support', 'no-eval.yaml');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error[INVALID_ARGUMENT]: the policy of support holds out evaluation data by time (evaluation.holdout.by: time, the default), but notime@1 has no time column');
    expect(refused.stderr).toContain('set evaluation.holdout.by to stratified or random, or name an evaluation.dataset, in the policy');
    expect(refused.stderr).not.toContain('--column');
    // Nothing stored: the policy is the one set before.
    expect(JSON.parse((await cli('--json', 'policies', 'show', 'support')).stdout)).toEqual(before);
    writeFileSync(join(t.dir, 'random.yaml'), policy('notime', 'evaluation:\n  holdout: {by: random, fraction: 0.2, seed: 1}\n'));
    expect((await cli('policies', 'set', 'support', 'random.yaml')).code).toBe(0);
    // Set before its data exists, the policy is checked when a run splits the data.
    writeFileSync(join(t.dir, 'later.yaml'), policy('later'));
    expect((await cli('policies', 'set', 'support', 'later.yaml')).code).toBe(0);
    writeFileSync(join(t.dir, 'later.csv'), noTime(200, 9));
    await t.ws.datasets.importFile({ file: join(t.dir, 'later.csv'), name: 'later', actor: 'test', roles: { text: ['text'], label: ['intent'] } });
    const r = await cli('runs', 'start', 'support', '--now', '--key', 'later-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(evaluation.holdout.by: time, the default), but later@1 has no time column');
    expect(r.stderr).not.toContain('--column');
  }, 60_000);
});
