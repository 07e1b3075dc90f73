/**
 * Model cards generated from recorded evidence: the version's record, its description, the
 * provenance of its training data, and saved evaluations (metrics with intervals, slices,
 * calibration, automation, fairness, gates). The card is data; Markdown and HTML render it.
 */
import type { DatasetService } from '../datasets/index.js';
import type { ModelVersion, SavedEvaluation } from './registry.js';
import type { RegistryService } from './registry-service.js';

type Interval = { value: number; lower: number | null; upper: number | null };

export interface ModelCard {
  ref: string;
  task: string;
  createdAt: string;
  createdBy: string;
  aliases: string[];
  intendedUse: string | null;
  outOfScopeUse: string | null;
  limitations: string[];
  training: {
    learner: string;
    params: Record<string, unknown>;
    seed: number;
    codeVersion: string;
    label: string | null;
    classes: string[];
    inputs: Array<{ name: string; type: string }>;
    rows: Record<string, unknown> | null;
    datasets: Array<{ ref: string; rows: number | null; source: string; owner: string | null; licence: string | null; collectionPeriod: string | null; contentHash: string | null; parents: string[] }>;
  };
  validation: { dataset: string | null; metrics: Record<string, Interval> };
  calibration: { ece: number | null; bins: Array<{ lower: number; upper: number; count: number; confidence: number; accuracy: number }> };
  automation: { targetPrecision: number | null; threshold: number | null; achievable: boolean | null; validationCoverage: number | null; validationPrecision: number | null } | null;
  /**
   * Out-of-scope rejection stored at training (`record.thresholds.out_of_scope`, `mloop train --oos-label`):
   * rows whose in-scope `score` is below `threshold` go to review; the validation figures are at that
   * threshold. Null when the version has none.
   */
  outOfScope: {
    /** The score thresholded: `max_logit` (text models) or `max_probability`. */
    score: string;
    /** Reject below this score; null rejects nothing (no threshold kept the floor). */
    threshold: number | null;
    achievable: boolean | null;
    /** The threshold rule and its in-scope accuracy floor (null for other rules). */
    rule: string | null;
    minInScopeAccuracy: number | null;
    /** The out-of-scope label named at training, or null when unseen labels were out of scope. */
    label: string | null;
    /** On the validation rows: in-scope accuracy with rejection, out-of-scope recall, and the row counts. */
    validationInScopeAccuracy: number | null;
    validationOutOfScopeRecall: number | null;
    validationInScope: number | null;
    validationOutOfScope: number | null;
  } | null;
  /** Group thresholds applied by `mloop fairness mitigate --apply`: where they came from and what they did on validation data; null without a plan. */
  mitigation: {
    source: string | null;
    dataset: string | null;
    attribute: string | null;
    constraint: string | null;
    tolerance: number | null;
    /** Threshold per group; null = never automatic (automation plans) or never positive. */
    thresholds: Record<string, number | null>;
    gapBefore: number | null;
    gapAfter: number | null;
  } | null;
  evaluations: Array<{
    dataset: string;
    at: string;
    by: string;
    metrics: Record<string, Interval>;
    /** The metric of each slice's `score`: `accuracy` for classifiers, `mae` for regressors. */
    sliceMetric: 'accuracy' | 'mae';
    /** Per slice: `score` is its {@link sliceMetric}; `accuracy` is its accuracy (null for regressors). */
    slices: Array<{ column: string; value: string; n: number; trusted: boolean; score: number | null; accuracy: number | null }>;
    automation: { coverage: number; precision: number | null; reviewShare: number } | null;
    fairness: Array<{ attribute: string; demographicParityDifference: number | null; equalizedOddsDifference: number | null; excluded: number }>;
    gate: { name: string; passed: boolean; rules: Array<{ status: string; expected: string; message: string }> } | null;
  }>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function describeSource(source: Record<string, unknown>): string {
  switch (source['kind']) {
    case 'file':
    case 'upload':
      return `${String(source['kind'])} ${String(source['file'])} (sha256 ${String(source['sha256']).slice(0, 12)}…)`;
    case 'sql':
      return `SQL query on ${String(source['database'])}`;
    default:
      return 'derived from its parents';
  }
}

async function evaluationOf(registry: RegistryService, e: SavedEvaluation): Promise<ModelCard['evaluations'][number]> {
  const full = (await registry.readEvaluation(e)) as Record<string, unknown>;
  const report = (full['report'] ?? {}) as Record<string, unknown>;
  const fairness = full['fairness'] as { attributes?: Record<string, { differences: Record<string, { value: number | null }>; excluded: unknown[] }> } | null;
  const gate = full['gate'] as { gate: string; passed: boolean; rules: Array<{ status: string; expected: string; message: string }> } | null;
  const automation = report['automation'] as { coverage: Interval; precision: Interval; reviewShare: Interval } | undefined;
  const sliceMetric = report['task'] === 'regression' ? 'mae' : 'accuracy';
  return {
    dataset: e.dataset,
    at: e.createdAt,
    by: e.createdBy,
    metrics: (report['metrics'] as Record<string, Interval>) ?? {},
    sliceMetric,
    slices: ((report['slices'] as Array<{ column: string; value: string; n: number; trusted: boolean; metrics: Record<string, Interval> }>) ?? []).map((s) => ({
      column: s.column,
      value: s.value,
      n: s.n,
      trusted: s.trusted,
      score: num(s.metrics[sliceMetric]?.value),
      accuracy: num(s.metrics['accuracy']?.value),
    })),
    automation: automation ? { coverage: automation.coverage.value, precision: num(automation.precision.value), reviewShare: automation.reviewShare.value } : null,
    fairness: Object.entries(fairness?.attributes ?? {}).map(([attribute, a]) => ({
      attribute,
      demographicParityDifference: num(a.differences['demographic_parity_difference']?.value),
      equalizedOddsDifference: num(a.differences['equalized_odds_difference']?.value),
      excluded: a.excluded.length,
    })),
    gate: gate ? { name: gate.gate, passed: gate.passed, rules: gate.rules.map((r) => ({ status: r.status, expected: r.expected, message: r.message })) } : null,
  };
}

/** Limitations read off the evidence, added to what people wrote. */
function derivedLimitations(version: ModelVersion, evaluations: ModelCard['evaluations']): string[] {
  const out: string[] = [];
  const warnings = (version.record.extra?.['warnings'] as string[] | undefined) ?? [];
  for (const w of warnings) out.push(`Training: ${w}.`);
  for (const e of evaluations.slice(0, 1)) {
    const small = e.slices.filter((s) => !s.trusted);
    if (small.length) out.push(`On ${e.dataset}, ${small.length} slice(s) are too small to judge: ${small.map((s) => `${s.column}=${s.value} (n=${s.n})`).join(', ')}.`);
    const acc = e.metrics['accuracy']?.value;
    const worst = e.slices.filter((s) => s.trusted && s.accuracy !== null && acc !== undefined && s.accuracy < acc - 0.05);
    if (worst.length) out.push(`Weaker slices on ${e.dataset}: ${worst.map((s) => `${s.column}=${s.value} accuracy ${(s.accuracy! * 100).toFixed(1)}%`).join(', ')}.`);
    for (const f of e.fairness) {
      if (f.demographicParityDifference !== null && f.demographicParityDifference > 0.1) out.push(`Selection rates differ by ${(f.demographicParityDifference * 100).toFixed(1)} points across ${f.attribute} on ${e.dataset}.`);
    }
    if (e.gate && !e.gate.passed) out.push(`Gate '${e.gate.name}' failed on ${e.dataset}: ${e.gate.rules.filter((r) => r.status === 'fail').map((r) => r.expected).join('; ')}.`);
  }
  return out;
}

/** Gathers a version's card from the registry and the datasets it names. */
export async function buildModelCard(deps: { registry: RegistryService; datasets: DatasetService }, ref: string): Promise<ModelCard> {
  const version = await deps.registry.resolve(ref);
  const model = await deps.registry.getModel(version.model);
  const r = version.record;
  const datasets: ModelCard['training']['datasets'] = [];
  for (const d of r.datasets) {
    try {
      const v = await deps.datasets.show(d);
      datasets.push({
        ref: v.ref,
        rows: v.rowCount,
        source: describeSource(v.source as unknown as Record<string, unknown>),
        owner: v.description.owner,
        licence: v.description.licence,
        collectionPeriod: v.description.collectionPeriod,
        contentHash: v.contentHash,
        parents: v.lineage.parents,
      });
    } catch {
      datasets.push({ ref: d, rows: null, source: 'not in this workspace (imported model)', owner: null, licence: null, collectionPeriod: null, contentHash: null, parents: [] });
    }
  }
  const validation = (r.extra?.['validation'] as { intervals?: Record<string, Interval>; reliability?: ModelCard['calibration']['bins'] } | undefined) ?? {};
  const th = r.thresholds as Record<string, unknown> | undefined;
  const thValidation = (th?.['validation'] as { coverage?: number; precision?: number } | undefined) ?? {};
  const saved = await deps.registry.evaluations(version.ref);
  const evaluations = await Promise.all(saved.slice(0, 5).map((e) => evaluationOf(deps.registry, e)));
  return {
    ref: version.ref,
    task: version.task,
    createdAt: version.createdAt,
    createdBy: version.createdBy,
    aliases: version.aliases,
    intendedUse: model.description.intendedUse ?? null,
    outOfScopeUse: model.description.outOfScopeUse ?? null,
    limitations: [...(model.description.limitations ? [model.description.limitations] : []), ...derivedLimitations(version, evaluations)],
    training: {
      learner: r.learner,
      params: r.params,
      seed: r.seed,
      codeVersion: r.codeVersion,
      label: r.label ?? null,
      classes: r.classes ?? [],
      inputs: r.inputSchema,
      rows: (r.extra?.['rows'] as Record<string, unknown> | undefined) ?? null,
      datasets,
    },
    validation: { dataset: r.evaluationDataset ?? null, metrics: validation.intervals ?? {} },
    calibration: { ece: num(validation.intervals?.['ece']?.value), bins: (validation.reliability ?? []).filter((b) => b.count > 0) },
    automation: th && th['target_precision'] !== undefined
      ? {
          targetPrecision: num(th['target_precision']),
          threshold: num(th['confidence']),
          achievable: typeof th['achievable'] === 'boolean' ? th['achievable'] : null,
          validationCoverage: num(thValidation.coverage),
          validationPrecision: num(thValidation.precision),
        }
      : null,
    outOfScope: outOfScopeOf(r),
    mitigation: mitigationOf(r),
    evaluations,
  };
}

function outOfScopeOf(r: ModelVersion['record']): ModelCard['outOfScope'] {
  const o = r.thresholds?.['out_of_scope'] as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null || typeof o['score'] !== 'string') return null;
  const v = (o['validation'] as Record<string, unknown> | undefined) ?? {};
  const str = (x: unknown) => (typeof x === 'string' ? x : null);
  return {
    score: o['score'],
    threshold: num(o['threshold']),
    achievable: typeof o['achievable'] === 'boolean' ? o['achievable'] : null,
    rule: str(o['rule']),
    minInScopeAccuracy: num(o['min_in_scope_accuracy']),
    label: str(o['label']),
    validationInScopeAccuracy: num(v['in_scope_accuracy']),
    validationOutOfScopeRecall: num(v['out_of_scope_recall']),
    validationInScope: num(v['in_scope']),
    validationOutOfScope: num(v['out_of_scope']),
  };
}

function mitigationOf(r: ModelVersion['record']): ModelCard['mitigation'] {
  const plan = r.thresholds?.['groups'] as { attribute?: unknown; constraint?: unknown; tolerance?: unknown; thresholds?: Record<string, unknown>; validation?: { before?: { gap?: unknown }; after?: { gap?: unknown } } } | undefined;
  if (!plan || typeof plan !== 'object') return null;
  const lineage = (r.extra?.['mitigation'] as { source?: unknown; dataset?: unknown } | undefined) ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    source: str(lineage.source),
    dataset: str(lineage.dataset),
    attribute: str(plan.attribute),
    constraint: str(plan.constraint),
    tolerance: num(plan.tolerance),
    thresholds: Object.fromEntries(Object.entries(plan.thresholds ?? {}).map(([g, t]) => [g, num(t)])),
    gapBefore: num(plan.validation?.before?.gap),
    gapAfter: num(plan.validation?.after?.gap),
  };
}

const f4 = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toFixed(4));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
const ci = (e: Interval) => `${f4(e.value)} (95% CI ${e.lower === null ? '–' : f4(e.lower)} – ${e.upper === null ? '–' : f4(e.upper)})`;

function outOfScopeSentence(o: NonNullable<ModelCard['outOfScope']>, esc: (s: string) => string): string {
  const rule = `rule ${esc(o.rule ?? '–')}${o.minInScopeAccuracy !== null ? `, in-scope accuracy floor ${pct(o.minInScopeAccuracy)}` : ''}`;
  const rows = o.label !== null ? `rows labelled \`${esc(o.label)}\`` : 'labels unseen in training';
  if (o.threshold === null)
    return `Out of scope (${rows}): no threshold on \`${esc(o.score)}\` kept the ${rule} on validation data, so nothing is rejected as out of scope.`;
  return `Out of scope (${rows}): rows whose \`${esc(o.score)}\` is below ${o.threshold.toPrecision(6)} go to review (${rule}); on validation data (${o.validationInScope ?? '–'} in-scope, ${o.validationOutOfScope ?? '–'} out-of-scope rows) in-scope accuracy with rejection ${pct(o.validationInScopeAccuracy)}, out-of-scope recall ${pct(o.validationOutOfScopeRecall)}.`;
}

/** Renders the card as Markdown. Cells are escaped so user text cannot break the table. */
export function renderCardMarkdown(card: ModelCard): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out: string[] = [`# Model card: ${card.ref}`, '', `${card.task}, created ${card.createdAt} by ${esc(card.createdBy)}${card.aliases.length ? `; aliases: ${card.aliases.join(', ')}` : ''}.`, ''];
  out.push('## Intended use', '', card.intendedUse ?? '_Not written yet: `mloop models describe <model> --intended-use "…"`._', '');
  out.push('## Out-of-scope use', '', card.outOfScopeUse ?? '_Not written yet: `mloop models describe <model> --out-of-scope "…"`._', '');
  out.push('## Training data', '', '| dataset | rows | source | owner | licence | period | parents |', '|---|---|---|---|---|---|---|');
  for (const d of card.training.datasets) out.push(`| ${d.ref} | ${d.rows ?? '–'} | ${esc(d.source)} | ${esc(d.owner ?? '–')} | ${esc(d.licence ?? '–')} | ${esc(d.collectionPeriod ?? '–')} | ${d.parents.join(', ') || '–'} |`);
  out.push('', `Learner \`${card.training.learner}\`, seed ${card.training.seed}, ${esc(card.training.codeVersion)}; label \`${card.training.label ?? '–'}\`${card.training.classes.length ? ` with ${card.training.classes.length} classes` : ''}; inputs: ${card.training.inputs.map((i) => `\`${i.name}\` (${i.type})`).join(', ')}.`, '');
  out.push('## Validation', '', `On ${card.validation.dataset ?? '–'}:`, '', '| metric | value (95% interval) |', '|---|---|');
  for (const [k, e] of Object.entries(card.validation.metrics)) out.push(`| ${k} | ${ci(e)} |`);
  out.push('', '## Calibration', '', `Expected calibration error ${f4(card.calibration.ece)} (15 bins).`, '');
  if (card.calibration.bins.length) {
    out.push('| confidence bin | rows | mean confidence | accuracy |', '|---|---|---|---|');
    for (const b of card.calibration.bins) out.push(`| ${b.lower.toFixed(2)}–${b.upper.toFixed(2)} | ${b.count} | ${f4(b.confidence)} | ${f4(b.accuracy)} |`);
    out.push('');
  }
  out.push('## Automation', '');
  if (!card.automation) out.push('No target precision was set; every prediction goes to review until one is (`mloop train … --target-precision P`).', '');
  else if (!card.automation.achievable) out.push(`No threshold reached the target precision ${pct(card.automation.targetPrecision)} on validation data; everything goes to review.`, '');
  else out.push(`Decided automatically above confidence ${card.automation.threshold?.toPrecision(6)}: on validation data ${pct(card.automation.validationCoverage)} of requests at ${pct(card.automation.validationPrecision)} precision (target ${pct(card.automation.targetPrecision)}); the rest go to people.`, '');
  if (card.outOfScope) out.push(outOfScopeSentence(card.outOfScope, esc), '');
  if (card.mitigation) {
    const m = card.mitigation;
    out.push(
      '## Fairness mitigation',
      '',
      `Group thresholds by \`${esc(m.attribute ?? '–')}\` for ${esc(m.constraint ?? '–')} (tolerance ${m.tolerance ?? '–'}), chosen on ${esc(m.dataset ?? '–')} for ${esc(m.source ?? '–')}: gap ${f4(m.gapBefore)} → ${f4(m.gapAfter)} on that data. Rows without the column get the \`(missing)\` group's threshold.`,
      '',
      '| group | threshold |',
      '|---|---|',
      ...Object.entries(m.thresholds).map(([g, t]) => `| ${esc(g)} | ${t === null ? 'never' : f4(t)} |`),
      '',
    );
  }
  out.push('## Evaluations', '');
  if (card.evaluations.length === 0) out.push('_None saved yet: `mloop eval <model> <dataset> --save`._', '');
  for (const e of card.evaluations) {
    out.push(`### On ${e.dataset} (${e.at}, by ${esc(e.by)})`, '', '| metric | value (95% interval) |', '|---|---|');
    for (const [k, m] of Object.entries(e.metrics)) out.push(`| ${k} | ${ci(m)} |`);
    if (e.automation) out.push('', `Automation: ${pct(e.automation.coverage)} decided automatically at ${pct(e.automation.precision)} precision; ${pct(e.automation.reviewShare)} to people.`);
    if (e.slices.length) {
      out.push('', `| slice | n | ${e.sliceMetric} | note |`, '|---|---|---|---|');
      for (const s of e.slices) out.push(`| ${esc(s.column)}=${esc(s.value)} | ${s.n} | ${f4(s.score)} | ${s.trusted ? '' : 'too small to judge'} |`);
    }
    if (e.fairness.length) {
      out.push('', '| sensitive attribute | demographic parity difference | equalized odds difference | groups too small |', '|---|---|---|---|');
      for (const fa of e.fairness) out.push(`| ${esc(fa.attribute)} | ${f4(fa.demographicParityDifference)} | ${f4(fa.equalizedOddsDifference)} | ${fa.excluded} |`);
    }
    if (e.gate) {
      out.push('', `Gate **${esc(e.gate.name)}**: ${e.gate.passed ? 'passed' : 'FAILED'}`, '');
      for (const r of e.gate.rules) out.push(`- ${r.status.toUpperCase()}: ${esc(r.expected)} — ${esc(r.message)}`);
    }
    out.push('');
  }
  out.push('## Known limitations', '');
  if (card.limitations.length === 0) out.push('_None recorded._');
  for (const l of card.limitations) out.push(`- ${l}`);
  out.push('');
  return out.join('\n');
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Renders the card as one self-contained HTML page (no scripts, no external resources), from its
 * Markdown: headings, paragraphs, tables and lists; every piece of text is escaped.
 */
export function renderCardHtml(card: ModelCard): string {
  const md = renderCardMarkdown(card).split('\n');
  const body: string[] = [];
  const inline = (s: string) =>
    escapeHtml(s.replace(/\\\|/g, '|'))
      .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/(^|\s)_(.+?)_(\s|$)/g, '$1<em>$2</em>$3');
  const cells = (line: string) => line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
  for (let i = 0; i < md.length; i++) {
    const line = md[i]!;
    if (line.startsWith('### ')) body.push(`<h3>${inline(line.slice(4))}</h3>`);
    else if (line.startsWith('## ')) body.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith('# ')) body.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('| ') && md[i + 1]?.startsWith('|---')) {
      body.push('<table><thead><tr>', ...cells(line).map((c) => `<th>${inline(c)}</th>`), '</tr></thead><tbody>');
      i += 2;
      while (i < md.length && md[i]!.startsWith('| ')) body.push('<tr>', ...cells(md[i++]!).map((c) => `<td>${inline(c)}</td>`), '</tr>');
      i--;
      body.push('</tbody></table>');
    } else if (line.startsWith('- ')) {
      body.push('<ul>');
      while (i < md.length && md[i]!.startsWith('- ')) body.push(`<li>${inline(md[i++]!.slice(2))}</li>`);
      i--;
      body.push('</ul>');
    } else if (line.trim() !== '') body.push(`<p>${inline(line)}</p>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Model card: ${escapeHtml(card.ref)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#1b1f24}table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left}th{background:#f6f8fa}code{background:#f6f8fa;padding:0 .2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
}
