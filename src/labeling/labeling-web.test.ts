/**
 * The labeling page of the web app end to end in headless Chromium (Debian's package, driven by playwright-core):
 * two annotators label a small project in parallel and a reviewer settles the disagreements, while
 * item text, column names, labels and instructions carry script payloads that must never run.
 * Skips when Chromium is missing, except under CI=true where it must run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPrincipal } from '../auth/index.js';
import { buildServer } from '../server/index.js';
import { tempWorkspace, type TempWorkspace } from '../workspace/test-support/temp-workspace.js';

const CHROMIUM = process.env['MLOOP_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env['CI'] === 'true')
  throw new Error(`Chromium is missing at ${CHROMIUM} and CI=true: the browser tests must run in CI`);

const PAYLOADS = [
  '<script>window.__xss = (window.__xss || 0) + 1</script>',
  '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">',
  '"><svg onload="window.__xss = (window.__xss || 0) + 1">',
  'javascript:window.__xss=1//<iframe src="javascript:window.top.__xss=1"></iframe>',
  '<a href="javascript:window.__xss=1">click</a><style>body{display:none}</style>',
];

let t: TempWorkspace;
let app: Awaited<ReturnType<typeof buildServer>>;
let browser: Browser;
let base: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  if (!available) return;
  // `npm run build` builds the app; build it here too when a test run starts from a clean tree.
  if (!existsSync(join(ROOT, 'web', 'dist', 'index.html')))
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
  t = await tempWorkspace();
  const rows = ['id,text'];
  PAYLOADS.forEach((p, i) => rows.push(`x${i},"${p.replace(/"/g, '""')}"`));
  rows.push('x5,plain text item');
  writeFileSync(join(t.dir, 'items.csv'), `${rows.join('\n')}\n`);
  await t.ws.datasets.importFile({ file: join(t.dir, 'items.csv'), name: 'xss-items', actor: 'ana' });
  await t.ws.labeling.createProject({
    name: 'web',
    dataset: 'xss-items',
    labels: ['<b>ok</b>', 'bad<script>window.__xss=1</script>'],
    idColumn: 'id',
    showColumns: ['text'],
    overlap: 2,
    consensus: 'mv',
    adjudicationThreshold: 0.99,
    instructions: `Read carefully. ${PAYLOADS[0]} ${PAYLOADS[1]}`,
    actor: 'ana',
  });
  const admin = localPrincipal();
  for (const [name, role] of [
    ['ann1', 'annotator:web'],
    ['ann2', 'annotator:web'],
    ['rev', 'reviewer:web'],
  ] as const) {
    await t.ws.auth.createUser(admin, name, [role]);
    tokens[name] = (await t.ws.auth.createToken(admin, { user: name })).token;
  }
  app = await buildServer(t.ws);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  // The server keeps idle keep-alive sockets for its graceful drain; a test just closes them.
  app?.server.closeAllConnections();
  await app?.close();
  await t?.cleanup();
});

/** The little of the DOM the page functions use (this file compiles without the DOM library). */
interface Doc {
  querySelector(selector: string): { textContent: string | null } | null;
}

interface Session {
  page: Page;
  dialogs: string[];
  errors: string[];
}

async function signIn(user: string): Promise<Session> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const s: Session = { page, dialogs: [], errors: [] };
  page.on('dialog', (d) => {
    s.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => s.errors.push(e.message));
  // A CSP violation is reported on the console: any is a failure.
  page.on('console', (m) => {
    if (m.type() === 'error') s.errors.push(m.text());
  });
  await page.goto(`${base}/label/`);
  await page.getByTestId('token').fill(tokens[user]!);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('project').first().waitFor();
  return s;
}

async function noScriptRan(s: Session): Promise<void> {
  expect(await s.page.evaluate(() => typeof (globalThis as { __xss?: unknown }).__xss)).toBe('undefined');
  expect(s.dialogs).toEqual([]);
  expect(s.errors).toEqual([]);
}

/** Labels until the page says it is done; `choose` picks the key to press for an item text. */
async function labelAll(s: Session, choose: (text: string) => '1' | '2' | 's'): Promise<string[]> {
  await s.page.getByTestId('open-annotate').click();
  const seen: string[] = [];
  for (let guard = 0; guard < 50; guard++) {
    const state = await Promise.race([
      s.page
        .getByTestId('done')
        .waitFor()
        .then(() => 'done' as const),
      s.page
        .getByTestId('item')
        .waitFor()
        .then(() => 'item' as const),
    ]);
    if (state === 'done' && (await s.page.getByTestId('done').isVisible())) return seen;
    const text = await s.page.getByTestId('item-value').first().textContent();
    seen.push(text ?? '');
    const progress = await s.page.getByTestId('progress').textContent();
    await s.page.keyboard.press(choose(text ?? ''));
    // Wait for the page to move on (progress text changes after every answer or skip).
    await s.page.waitForFunction((before) => {
      const doc = (globalThis as unknown as { document: Doc }).document;
      return (
        doc.querySelector('[data-testid="progress"]')?.textContent !== before ||
        doc.querySelector('[data-testid="done"]') !== null
      );
    }, progress);
  }
  throw new Error('labeling did not finish');
}

describe.skipIf(!available)('labeling web app in Chromium', () => {
  it('serves the app with a strict CSP and no inline code; the old /label/ address leads to its labeling page', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script is an external file
    expect(html).not.toMatch(/<style/);
    expect((await fetch(`${base}/assets/nope.js`)).status).toBe(404);
    for (const old of ['/label', '/label/', '/label/..%2f..%2fpackage.json']) {
      const r = await fetch(`${base}${old}`, { redirect: 'manual' });
      expect(r.status, old).toBe(302);
      expect(r.headers.get('location')).toBe('/#/label');
    }
    // Anything else still needs a token.
    expect((await fetch(`${base}/package.json`)).status).toBe(401);
  });

  it('two annotators in parallel and a reviewer label the project to the end; no payload runs', async () => {
    const [a, b] = await Promise.all([signIn('ann1'), signIn('ann2')]);
    // ann1 always picks the first label; ann2 the second for payload items, so those disagree.
    const [seenA, seenB] = await Promise.all([
      labelAll(a, () => '1'),
      labelAll(b, (text) => (text === 'plain text item' ? '1' : '2')),
    ]);
    expect(seenA).toHaveLength(6);
    expect(seenB).toHaveLength(6);
    // Payloads are shown as the literal text they are.
    expect(seenA).toEqual(expect.arrayContaining(PAYLOADS));
    expect(await a.page.getByTestId('instructions').textContent()).toContain(PAYLOADS[0]);
    await noScriptRan(a);
    await noScriptRan(b);

    const stats = await t.ws.labeling.stats('web', { replicates: 20 });
    expect(stats.items).toMatchObject({ total: 6, complete: 6 });
    expect(stats.answers.total).toBe(12); // exactly k = 2 answers per item
    expect(stats.annotators.map((x) => [x.worker, x.answers])).toEqual([
      ['ann1', 6],
      ['ann2', 6],
    ]);
    expect(stats.adjudication.pending).toBe(5);

    const r = await signIn('rev');
    await r.page.getByTestId('open-review').click();
    for (let i = 0; i < 5; i++) {
      await r.page.getByTestId('review-item').waitFor();
      expect(await r.page.getByTestId('queue-size').textContent()).toBe(`${5 - i} item(s) waiting for a decision`);
      await r.page.keyboard.press('2');
      await r.page.waitForFunction(
        (n) =>
          (globalThis as unknown as { document: Doc }).document
            .querySelector('[data-testid="queue-size"]')
            ?.textContent?.startsWith(`${n} item`) === true,
        4 - i,
      );
    }
    await r.page.getByTestId('queue-empty').waitFor();
    await noScriptRan(r);
    const final = await t.ws.labeling.consensus('web', 'mv');
    expect(final.items.filter((x) => x.method === 'adjudicated')).toHaveLength(5);
    expect(
      final.items.filter((x) => x.method === 'adjudicated').every((x) => x.label === 'bad<script>window.__xss=1</script>'),
    ).toBe(true);
  }, 120_000);
});
