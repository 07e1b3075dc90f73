/** `mloop monitor report|run|rules|alerts` in-process on a replayed, drifting prediction log; webhooks to a local receiver. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/index.js';
import type { TempWorkspace } from '../workspace/test-support/temp-workspace.js';
import { demoMonitoring } from './index.js';
import { monitoringFixture } from './test-support/monitoring-fixture.js';

let f: TempWorkspace;
let server: Server;
let hook: string;
const received: Array<{ text: string; mloop: { event: string } }> = [];
beforeAll(async () => {
  f = await monitoringFixture();
  await demoMonitoring(f.ws);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}, 180_000);
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await f?.cleanup();
});

async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(['--workspace', f.dir, ...args], { stdout, stderr, env, cwd: f.dir });
  return { code, stdout: out, stderr: err };
}

describe('mloop monitor report', () => {
  it('prints the JSON of issue 7 and writes a self-contained HTML report', async () => {
    const html = join(f.dir, 'report.html');
    const r = await cli({}, '--json', 'monitor', 'report', 'support@champion', '--window', '7d', '--html', html);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.features[0]).toMatchObject({ name: 'text', test: 'drift:text-oov', drift: true });
    for (const k of ['name', 'test', 'statistic', 'p_value', 'effect_size', 'drift']) expect(j.features[0]).toHaveProperty(k);
    expect(j.dataset_drift).toMatchObject({ drifted: 1, total: 1, detected: true });
    expect(j.performance.estimated_accuracy.value).toBeGreaterThan(0.5);
    expect(j.performance.series.length).toBe(j.windows.length);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script|src=|href=|@import|url\(/i);
    expect(page).toContain('estimated accuracy (CBPE)');
    expect(page).toContain('Groups over time');
    // the replay logs each request's region: every window carries its group gaps
    expect(j.fairness.attributes[0].attribute).toBe('region');
    expect(j.windows[0].values).toHaveProperty('fairness.region.auto_share_difference.lower');
    const human = await cli({}, 'monitor', 'report', 'support', '--window', '500');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('window(s) of 500');
    expect(human.stdout).toContain('groups by region');
    // with a smaller minimum group size, more windows compare their regions
    const compared = (x: { windows: Array<{ values: Record<string, number | null> }> }) => x.windows.filter((w) => w.values['fairness.region.auto_share_difference'] !== null).length;
    const small = JSON.parse((await cli({}, '--json', 'monitor', 'report', 'support@champion', '--window', '7d', '--min-group-size', '10')).stdout);
    expect(compared(small)).toBeGreaterThan(compared(j));
  });

  it('explains a bad window and an unknown model', async () => {
    const bad = await cli({}, 'monitor', 'report', 'support', '--window', '3x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid window');
    const missing = await cli({}, 'monitor', 'report', 'nope');
    expect(missing.stderr).toContain('NOT_FOUND');
    expect(missing.code).not.toBe(0);
  });

  it('monitor run refuses a bad --window once, up front, instead of failing every model', async () => {
    const bad = await cli({}, 'monitor', 'run', '--window', '9x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
    expect(bad.stderr).toContain("invalid window '9x'");
    expect(bad.stdout).toBe('');
    await expect(f.ws.monitoring.run({ window: '9x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const good = await cli({}, '--json', 'monitor', 'run', '--window', '7d');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).models.every((m: { error: unknown }) => m.error === null)).toBe(true);
  });
});

describe('mloop monitor report time ranges', () => {
  // The same instant written with another offset: 00:00Z is 02:00+02:00 and 12:00-12:00 the day before.
  const plus2 = (iso: string) => new Date(Date.parse(iso) + 2 * 3_600_000).toISOString().replace(/\.000Z$/, '+02:00');
  const minus12 = (iso: string) => new Date(Date.parse(iso) - 12 * 3_600_000).toISOString().replace(/\.000Z$/, '-12:00');
  const shape = (r: { windows: Array<{ start: string; predictions: number }> }) => r.windows.map((w) => `${w.start} ${w.predictions}`);

  it('reads --since and --until as instants, whatever their offset', async () => {
    const all = JSON.parse((await cli({}, '--json', 'monitor', 'report', 'support@champion', '--window', '7d')).stdout);
    const i = Math.floor(all.windows.length / 2);
    const mid: string = all.windows[i].start;
    const since = (t: string) => cli({}, '--json', 'monitor', 'report', 'support@champion', '--window', '7d', '--since', t);
    const until = (t: string) => cli({}, '--json', 'monitor', 'report', 'support@champion', '--window', '7d', '--until', t);
    for (const t of [mid, plus2(mid), minus12(mid)]) {
      expect(shape(JSON.parse((await since(t)).stdout))).toEqual(shape({ windows: all.windows.slice(i) }));
      expect(shape(JSON.parse((await until(t)).stdout))).toEqual(shape({ windows: all.windows.slice(0, i) }));
    }
  }, 60_000);

  it('refuses times that are not ISO 8601, and ranges that end before they start', async () => {
    for (const [flag, value, ...rest] of [
      ['--since', 'yesterday'],
      ['--until', 'garbage'],
      ['--reference-from', 'foo', '--reference-to', '2026-08-01'],
      ['--reference-to', 'bar', '--reference-from', '2026-07-01'],
    ] as const) {
      const r = await cli({}, 'monitor', 'report', 'support', ...rest, flag, value);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`option '${flag} <iso>' argument '${value}' is invalid. expected an ISO 8601 date or time`);
    }
    const reversed = await cli({}, 'monitor', 'report', 'support', '--since', '2026-09-01', '--until', '2026-08-01T00:00+02:00');
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain('since (2026-09-01T00:00:00.000Z) must be before until (2026-07-31T22:00:00.000Z)');
  });

  it('the service checks and normalises the times of every caller (the HTTP API passes them as given)', async () => {
    await expect(f.ws.monitoring.report({ model: 'support', from: 'yesterday' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: "since: 'yesterday' is not an ISO 8601 date or time" });
    await expect(f.ws.monitoring.report({ model: 'support', to: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: "until: 'garbage' is not an ISO 8601 date or time" });
    await expect(f.ws.monitoring.report({ model: 'support', reference: { from: 'foo', to: 'bar' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: "reference from: 'foo' is not an ISO 8601 date or time" });
    await expect(f.ws.monitoring.report({ model: 'support', reference: { from: '2026-09-01', to: '2026-08-01' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const all = await f.ws.monitoring.report({ model: 'support@champion', window: '7d' });
    const [from, to] = [all.windows[0]!.start, all.windows[2]!.start];
    const z = await f.ws.monitoring.report({ model: 'support@champion', window: '7d', reference: { from, to } });
    const offset = await f.ws.monitoring.report({ model: 'support@champion', window: '7d', reference: { from: plus2(from), to: plus2(to) } });
    expect(offset.reference).toEqual(z.reference);
    expect(z.reference).toMatchObject({ kind: 'predictions', ref: `${from}..${to}`, rows: all.windows[0]!.predictions + all.windows[1]!.predictions });
  }, 60_000);
});

describe('mloop monitor rules / run / alerts', () => {
  it('alerts once per breach, delivers to an explicitly allowed local webhook, and refuses a private one by default', async () => {
    const allow = { MLOOP_MONITORING_ALLOW_PRIVATE_WEBHOOKS: 'true' };
    expect((await cli({}, 'monitor', 'rules', 'add', 'low-acc', '--model', 'support@champion', '--metric', 'performance.estimated_accuracy', '--op', '<', '--threshold', '0.86', '--consecutive', '2', '--webhook', hook)).code).toBe(0);
    const run1 = JSON.parse((await cli(allow, '--json', 'monitor', 'run')).stdout);
    expect(run1.models[0]).toMatchObject({ model: 'support@champion', error: null });
    expect(run1.models[0].rules[0]).toMatchObject({ rule: 'low-acc', state: 'new', delivery: 'delivered' });
    expect(received).toHaveLength(1);
    expect(received[0]!.text).toContain('low-acc');
    expect(received[0]!.mloop.event).toBe('firing');
    const run2 = JSON.parse((await cli(allow, '--json', 'monitor', 'run')).stdout);
    expect(run2.models[0].rules[0]).toMatchObject({ state: 'ongoing' });
    expect(received).toHaveLength(1);

    expect((await cli({}, 'monitor', 'rules', 'add', 'drifted', '--model', 'support@champion', '--metric', 'drift.text', '--op', '>=', '--threshold', '1', '--webhook', hook)).code).toBe(0);
    const run3 = JSON.parse((await cli({}, '--json', 'monitor', 'run')).stdout);
    const drifted = run3.models[0].rules.find((x: { rule: string }) => x.rule === 'drifted');
    expect(drifted).toMatchObject({ state: 'new', delivery: 'failed' });
    expect(drifted.delivery_error).toContain('PERMISSION_DENIED');
    expect(received).toHaveLength(1);

    const alerts = JSON.parse((await cli({}, '--json', 'monitor', 'alerts')).stdout).alerts;
    expect(alerts.map((a: { rule: string }) => a.rule).sort()).toEqual(['drifted', 'low-acc']);
    expect(alerts.find((a: { rule: string }) => a.rule === 'low-acc')).toMatchObject({ status: 'firing', delivery: 'delivered' });
    expect(JSON.parse((await cli({}, '--json', 'monitor', 'rules', 'list')).stdout).rules).toHaveLength(2);
    expect((await cli({}, 'monitor', 'rules', 'remove', 'drifted')).code).toBe(0);
  }, 60_000);

  it('refuses unknown metrics, comparisons and duplicate names', async () => {
    expect((await cli({}, 'monitor', 'rules', 'add', 'gap', '--model', 'support', '--metric', 'fairness.region.accuracy_difference.lower', '--op', '>', '--threshold', '0.1')).code).toBe(0);
    const gap = await cli({}, 'monitor', 'rules', 'add', 'gap2', '--model', 'support', '--metric', 'fairness.region.accuracy_gap', '--op', '>', '--threshold', '0.1');
    expect(gap.code).toBe(2);
    expect(gap.stderr).toContain('accuracy_difference');
    const bad = await cli({}, 'monitor', 'rules', 'add', 'x', '--model', 'support', '--metric', 'accuracy', '--op', '<', '--threshold', '1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('monitored values:');
    expect((await cli({}, 'monitor', 'rules', 'add', 'y', '--model', 'support', '--metric', 'drift.share', '--op', '=', '--threshold', '1')).code).toBe(2);
    // A feature the model does not have would never have a value: refused, with the features listed.
    const typo = await cli({}, 'monitor', 'rules', 'add', 'x1', '--model', 'support@champion', '--metric', 'drift.txet', '--op', '>', '--threshold', '1');
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("error[NOT_FOUND]: feature 'support@1:txet' not found");
    expect(typo.stderr).toContain('features of support@1: text');
    expect((await cli({}, 'monitor', 'rules', 'add', 'x2', '--model', 'support', '--metric', 'drift.txet.statistic', '--op', '>', '--threshold', '1')).code).toBe(3);
    expect((await cli({}, 'monitor', 'rules', 'add', 'x3', '--model', 'support', '--metric', 'drift.text.statistic', '--op', '>', '--threshold', '0.5')).code).toBe(0);
    await expect(f.ws.monitoring.updateRule('test', 'x3', { metric: 'drift.nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await cli({}, 'monitor', 'rules', 'remove', 'x3')).code).toBe(0);
    const dup = await cli({}, 'monitor', 'rules', 'add', 'low-acc', '--model', 'support', '--metric', 'drift.share', '--op', '>', '--threshold', '0.5');
    expect(dup.stderr).toContain('ALREADY_EXISTS');
  });
});
