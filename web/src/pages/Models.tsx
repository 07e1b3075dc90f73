/**
 * Models: the list, a model's versions and card, and champion versus challenger — metrics with
 * intervals, slices, groups, calibration, and the coverage–precision curve where a person moves
 * the target precision and sees the coverage it yields before saving it to the retraining policy.
 */
import { useEffect, useMemo, useState } from 'react';
import { ApiError, seg } from '../api';
import { Chart } from '../components/Chart';
import { day, int, num, pct, time, withCi } from '../components/format';
import { align } from '../components/series';
import { SortableTable } from '../components/Table';
import { describe, useLoad } from '../components/useLoad';
import { href } from '../router';
import type { PageProps } from './types';

interface Interval {
  value: number | null;
  lower?: number | null;
  upper?: number | null;
}
interface CardEvaluation {
  dataset: string;
  at: string;
  by: string;
  metrics: Record<string, Interval>;
  slices: Array<{ column: string; value: string; n: number; trusted: boolean; accuracy: number | null }>;
  automation: { coverage: number; precision: number | null; reviewShare: number } | null;
  fairness: Array<{ attribute: string; demographicParityDifference: number | null; equalizedOddsDifference: number | null; excluded: number }>;
  gate: { name: string; passed: boolean; rules: Array<{ status: string; expected: string; message: string }> } | null;
}
interface Card {
  ref: string;
  intendedUse: string | null;
  outOfScopeUse: string | null;
  limitations: string[];
  training: {
    learner: string;
    label: string | null;
    classes: string[];
    rows: Record<string, unknown> | null;
    datasets: Array<{ ref: string; rows: number | null; source: string; owner: string | null; licence: string | null; collectionPeriod: string | null }>;
  };
  validation: { dataset: string | null; metrics: Record<string, Interval> };
  calibration: { ece: number | null; bins: Array<{ lower: number; upper: number; count: number; confidence: number; accuracy: number }> };
  automation: { targetPrecision: number | null; threshold: number | null; achievable: boolean | null; validationCoverage: number | null; validationPrecision: number | null } | null;
  /** Out-of-scope rejection stored at training (older servers omit it). */
  outOfScope?: { score: string; threshold: number | null; validationInScopeAccuracy: number | null; validationOutOfScopeRecall: number | null } | null;
  evaluations: CardEvaluation[];
}
interface Point {
  threshold: number;
  coverage: number;
  precision: number;
  auto: number;
}
interface Side {
  ref: string;
  version: number;
  aliases: string[];
  card: Card;
  threshold: { confidence: number | null; target_precision: number | null };
  curve: { dataset: string; at: string; points: Point[] } | null;
  groups: {
    groups: Array<{ attribute: string; group: string; n: number; status: string; accuracy: Interval | null; calibration_error: number | null }>;
    differences: Record<string, number | null>;
  };
}
interface Compare {
  model: string;
  shared_dataset: string | null;
  a: Side | null;
  b: Side | null;
}
interface Version {
  ref: string;
  version: number;
  aliases: string[];
  created_at: string;
  created_by: string;
  record: { learner: string; datasets: string[]; metrics: Record<string, unknown>; thresholds?: Record<string, unknown> };
}

/** The lowest threshold whose precision meets the target (the curve runs from high to low thresholds). */
export function pointFor(points: Point[], target: number): Point | null {
  let chosen: Point | null = null;
  for (const p of points) if (p.auto > 0 && p.precision >= target - 1e-12) chosen = p;
  return chosen;
}

const evalOf = (s: Side | null, dataset: string | null) => (s ? (s.card.evaluations.filter((e) => dataset === null || e.dataset === dataset).at(-1) ?? s.card.evaluations.at(-1) ?? null) : null);

function ModelList({ api }: PageProps) {
  const { data, error } = useLoad(() => api.get<{ models: Array<{ name: string; task: string; latest_version: number; aliases: Record<string, number>; created_at: string }> }>('/v1/models'), [api]);
  if (error) return <div className="message error">{error}</div>;
  if (!data) return <p>Loading…</p>;
  return (
    <SortableTable
      testId="models-table"
      rows={data.models}
      rowKey={(m) => m.name}
      columns={[
        { key: 'name', title: 'model', render: (m) => <a href={href('models', m.name)}>{m.name}</a>, sort: (m) => m.name },
        { key: 'task', title: 'task', render: (m) => m.task, sort: (m) => m.task },
        { key: 'latest', title: 'versions', render: (m) => m.latest_version, sort: (m) => m.latest_version, numeric: true },
        { key: 'aliases', title: 'aliases', render: (m) => Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`).join(', ') || '—' },
        { key: 'created', title: 'created', render: (m) => day(m.created_at), sort: (m) => m.created_at },
      ]}
    />
  );
}

function Threshold({ api, can, model, cmp }: PageProps & { model: string; cmp: Compare }) {
  const a = cmp.a;
  const stored = a?.threshold.target_precision ?? 0.95;
  const [target, setTarget] = useState<number>(typeof stored === 'number' ? stored : 0.95);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const policy = useLoad(
    () =>
      api.get<{ policy: { training: { settings: Record<string, unknown> } } & Record<string, unknown> }>(`/v1/policies/${seg(model)}`).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [api, model],
  );
  const sides = [a, cmp.b].filter((s): s is Side => s !== null && s.curve !== null && s.curve.points.length > 0);
  const chosen = sides.map((s) => ({ s, p: pointFor(s.curve!.points, target) }));
  const data = useMemo(
    () =>
      align([
        ...sides.map((s) => s.curve!.points.map((p) => [p.coverage, p.precision] as [number, number])),
        chosen.filter((c) => c.p).map((c) => [c.p!.coverage, c.p!.precision] as [number, number]),
        [
          [0, target],
          [1, target],
        ],
      ]),
    [cmp, target],
  );
  if (sides.length === 0) return <p className="muted">No saved evaluation with a coverage–precision curve yet (`mloop evaluate --save`).</p>;
  const mayEdit = can('models:promote');
  const save = async () => {
    setMessage(null);
    try {
      await api.put(`/v1/dashboard/models/${seg(model)}/target-precision`, { target_precision: target });
      setMessage({ text: `Saved: the next retraining of ${model} chooses its threshold for ${pct(target, 1)} precision.`, error: false });
      policy.reload();
    } catch (e) {
      setMessage({ text: describe(e), error: true });
    }
  };
  const savedTarget = policy.data?.policy.training.settings['targetPrecision'];
  return (
    <div data-testid="threshold">
      <Chart
        title="Coverage–precision (evaluation data)"
        testId="curve-chart"
        data={data}
        xLabel="coverage (share decided automatically)"
        yLabel="precision"
        xRange={[0, 1]}
        series={[...sides.map((s) => ({ label: `v${s.version}${s.aliases.length ? ` (${s.aliases.join(', ')})` : ''}` })), { label: 'at the target', points: true, color: '#111' }, { label: 'target precision', dash: [6, 4], color: '#999' }]}
      />
      <label htmlFor="target">
        Target precision: <strong data-testid="target-value">{pct(target, 1)}</strong>
      </label>
      <input id="target" type="range" min={0.5} max={1} step={0.005} value={target} onChange={(e) => setTarget(Number(e.target.value))} data-testid="target-precision" />
      <ul className="plain" data-testid="target-coverage">
        {chosen.map(({ s, p }) => (
          <li key={s.ref}>
            v{s.version}: {p ? `confidence ≥ ${num(p.threshold)} → ${pct(p.coverage)} decided automatically at ${pct(p.precision)} precision (${int(p.auto)} decisions)` : 'the target is out of reach: everything goes to people'}
            {' · stored: '}
            {s.threshold.confidence === null ? 'none' : `confidence ≥ ${num(s.threshold.confidence)} for ${pct(s.threshold.target_precision)} on validation`}
          </li>
        ))}
      </ul>
      <p className="muted" data-testid="policy-target">
        {policy.data ? `Retraining target now: ${typeof savedTarget === 'number' ? pct(savedTarget, 1) : 'not set (the training default)'}.` : ''}
      </p>
      {mayEdit ? (
        policy.data ? (
          <button className="primary" onClick={() => void save()} data-testid="save-target">
            Save {pct(target, 1)} as the retraining target
          </button>
        ) : (
          <p className="muted">{policy.loading ? 'Loading the retraining policy…' : 'No retraining policy for this model: set one (`mloop policies set`) to save a target.'}</p>
        )
      ) : (
        <p className="muted">Your roles cannot change the automation target.</p>
      )}
      {message ? <div className={message.error ? 'message error' : 'message'}>{message.text}</div> : null}
    </div>
  );
}

function ModelDetail(props: PageProps & { model: string }) {
  const { api, model } = props;
  const versions = useLoad(() => api.get<{ model: { aliases: Record<string, number> }; versions: Version[] }>(`/v1/models/${seg(model)}`), [api, model]);
  const qa = props.route.query.get('a') ?? undefined;
  const qb = props.route.query.get('b') ?? undefined;
  const cmp = useLoad(() => api.get<Compare>(`/v1/dashboard/models/${seg(model)}/compare`, { a: qa, b: qb }), [api, model, qa, qb]);
  const [tab, setTab] = useState<'compare' | 'card' | 'versions'>('compare');
  useEffect(() => setTab('compare'), [model]);
  const c = cmp.data;
  const ea = evalOf(c?.a ?? null, c?.shared_dataset ?? null);
  const eb = evalOf(c?.b ?? null, c?.shared_dataset ?? null);
  const metricNames = [...new Set([...Object.keys(ea?.metrics ?? {}), ...Object.keys(eb?.metrics ?? {})])];
  const sliceKeys = [...new Set([...(ea?.slices ?? []), ...(eb?.slices ?? [])].map((s) => `${s.column}=${s.value}`))];
  const sliceOf = (e: CardEvaluation | null, k: string) => e?.slices.find((s) => `${s.column}=${s.value}` === k);
  const calib = c
    ? align([
        ...[c.a, c.b].filter((s): s is Side => s !== null).map((s) => s.card.calibration.bins.filter((b) => b.count > 0).map((b) => [b.confidence, b.accuracy] as [number, number])),
        [
          [0, 0],
          [1, 1],
        ],
      ])
    : null;
  return (
    <>
      <h1>
        <a href={href('models')}>Models</a> · {model}
      </h1>
      <div className="tabs" role="tablist">
        {(['compare', 'card', 'versions'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t === 'compare' ? 'Champion vs challenger' : t === 'card' ? 'Model card' : 'Versions'}
          </button>
        ))}
      </div>
      {cmp.error ? <div className="message error">{cmp.error}</div> : null}
      {tab === 'versions' ? (
        versions.data ? (
          <SortableTable
            testId="versions-table"
            rows={versions.data.versions}
            rowKey={(v) => v.ref}
            initial={{ key: 'version', order: 'desc' }}
            columns={[
              { key: 'version', title: 'version', render: (v) => `v${v.version}`, sort: (v) => v.version, numeric: true },
              { key: 'aliases', title: 'aliases', render: (v) => v.aliases.join(', ') || '—' },
              { key: 'learner', title: 'learner', render: (v) => v.record.learner, sort: (v) => v.record.learner },
              { key: 'acc', title: 'validation accuracy', render: (v) => pct(v.record.metrics['accuracy'] as number), sort: (v) => (v.record.metrics['accuracy'] as number) ?? null, numeric: true },
              { key: 'data', title: 'trained on', render: (v) => v.record.datasets.map((d) => <a key={d} href={href('datasets', d)}>{d} </a>) },
              { key: 'created', title: 'created', render: (v) => `${time(v.created_at)} by ${v.created_by}`, sort: (v) => v.created_at },
            ]}
          />
        ) : (
          <p>Loading…</p>
        )
      ) : !c ? (
        <p>Loading…</p>
      ) : tab === 'card' ? (
        <CardView card={(c.a ?? c.b)!.card} />
      ) : (
        <>
          <section className="card">
            <h2>
              {c.a ? `v${c.a.version}${c.a.aliases.length ? ` (${c.a.aliases.join(', ')})` : ''}` : '—'} versus {c.b ? `v${c.b.version}${c.b.aliases.length ? ` (${c.b.aliases.join(', ')})` : ''}` : 'no challenger'}
            </h2>
            <p className="muted">
              On {c.shared_dataset ?? ea?.dataset ?? 'no saved evaluation'}
              {c.shared_dataset ? ' (both evaluated on it)' : ''}. Intervals are 95% bootstrap intervals.
            </p>
            <div className="table-wrap">
              <table data-testid="compare-metrics">
                <thead>
                  <tr>
                    <th>metric</th>
                    <th className="num">v{c.a?.version}</th>
                    <th className="num">{c.b ? `v${c.b.version}` : ''}</th>
                  </tr>
                </thead>
                <tbody>
                  {metricNames.map((m) => (
                    <tr key={m}>
                      <td>{m}</td>
                      <td className="num">{withCi(ea?.metrics[m], !['log_loss', 'ece', 'brier'].includes(m))}</td>
                      <td className="num">{withCi(eb?.metrics[m], !['log_loss', 'ece', 'brier'].includes(m))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {[ea, eb].map((e, i) =>
              e?.gate ? (
                <p key={i} className={e.gate.passed ? 'badge good' : 'badge bad'}>
                  v{i === 0 ? c.a?.version : c.b?.version}: gate &apos;{e.gate.name}&apos; {e.gate.passed ? 'passed' : 'failed'}
                  {e.gate.passed ? '' : `: ${e.gate.rules.filter((r) => r.status === 'fail').map((r) => r.message).join('; ')}`}
                </p>
              ) : null,
            )}
          </section>
          <section className="card">
            <h2>Automation: coverage at a target precision</h2>
            <Threshold {...props} cmp={c} />
          </section>
          <div className="grid2">
            <section className="card">
              <h2>Slices</h2>
              <div className="table-wrap">
                <table data-testid="compare-slices">
                  <thead>
                    <tr>
                      <th>slice</th>
                      <th className="num">n</th>
                      <th className="num">v{c.a?.version} accuracy</th>
                      <th className="num">{c.b ? `v${c.b.version} accuracy` : ''}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {sliceKeys.map((k) => (
                      <tr key={k}>
                        <td>
                          {k}
                          {sliceOf(ea, k)?.trusted === false ? ' (few rows)' : ''}
                        </td>
                        <td className="num">{int(sliceOf(ea, k)?.n ?? sliceOf(eb, k)?.n)}</td>
                        <td className="num">{pct(sliceOf(ea, k)?.accuracy)}</td>
                        <td className="num">{pct(sliceOf(eb, k)?.accuracy)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <h3>Groups</h3>
              <div className="table-wrap">
                <table data-testid="compare-groups">
                  <thead>
                    <tr>
                      <th>group</th>
                      <th className="num">n</th>
                      <th className="num">v{c.a?.version} accuracy (95% CI)</th>
                      <th className="num">{c.b ? `v${c.b.version} accuracy (95% CI)` : ''}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...new Set([...(c.a?.groups.groups ?? []), ...(c.b?.groups.groups ?? [])].map((g) => `${g.attribute}=${g.group}`))].map((k) => {
                      const find = (x: Side | null) => x?.groups.groups.find((g) => `${g.attribute}=${g.group}` === k);
                      const ga = find(c.a);
                      const gb = find(c.b);
                      return (
                        <tr key={k}>
                          <td>
                            {k}
                            {(ga ?? gb)?.status === 'ok' ? '' : ' (too few rows to compare)'}
                          </td>
                          <td className="num">{int((ga ?? gb)?.n)}</td>
                          <td className="num">{withCi(ga?.accuracy)}</td>
                          <td className="num">{withCi(gb?.accuracy)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <p className="muted">
                Accuracy gap across groups:{' '}
                {[c.a, c.b]
                  .filter((x): x is Side => x !== null)
                  .map((x) => `v${x.version} ${Object.entries(x.groups.differences).map(([attr, d]) => `${attr} ${d === null ? '—' : `${(d * 100).toFixed(1)} points`}`).join(', ') || '—'}`)
                  .join('; ')}
                {' · '}
                {[
                  [c.a, ea],
                  [c.b, eb],
                ]
                  .flatMap(([x, e]) => ((e as CardEvaluation | null)?.fairness ?? []).map((f) => `v${(x as Side).version} ${f.attribute}: demographic parity diff. ${num(f.demographicParityDifference)}, equalized odds diff. ${num(f.equalizedOddsDifference)}`))
                  .join('; ')}
              </p>
            </section>
            <section className="card">
              <h2>Calibration</h2>
              {calib ? (
                <Chart
                  title="Reliability (validation data)"
                  testId="calibration-chart"
                  data={calib}
                  xLabel="confidence"
                  yLabel="accuracy"
                  xRange={[0, 1]}
                  yRange={[0, 1]}
                  series={[...[c.a, c.b].filter((s): s is Side => s !== null).map((s) => ({ label: `v${s.version}` })), { label: 'perfect calibration', dash: [4, 4], color: '#999' }]}
                />
              ) : null}
              <p className="muted">
                ECE {[c.a, c.b].filter((s): s is Side => s !== null).map((s) => `v${s.version} ${num(s.card.calibration.ece)}`).join(', ')}
              </p>
            </section>
          </div>
        </>
      )}
    </>
  );
}

function CardView({ card }: { card: Card }) {
  return (
    <section className="card" data-testid="model-card">
      <h2>Model card · {card.ref}</h2>
      <dl className="facts">
        <dt>Intended use</dt>
        <dd>{card.intendedUse ?? '—'}</dd>
        <dt>Out of scope</dt>
        <dd>{card.outOfScopeUse ?? '—'}</dd>
        <dt>Learner</dt>
        <dd>
          {card.training.learner} · label {card.training.label ?? '—'} · {card.training.classes.length} classes
        </dd>
        <dt>Validation</dt>
        <dd>
          {card.validation.dataset ?? '—'}: {Object.entries(card.validation.metrics).slice(0, 6).map(([k, v]) => `${k} ${withCi(v, !['log_loss', 'ece', 'brier'].includes(k))}`).join(' · ')}
        </dd>
        <dt>Automation</dt>
        <dd>
          {card.automation
            ? `target precision ${pct(card.automation.targetPrecision)}: confidence ≥ ${num(card.automation.threshold)} decides ${pct(card.automation.validationCoverage)} automatically at ${pct(card.automation.validationPrecision)} on validation`
            : '—'}
        </dd>
        {card.outOfScope ? (
          <>
            <dt>Out-of-scope rejection</dt>
            <dd data-testid="out-of-scope-threshold">
              {card.outOfScope.threshold === null
                ? `no threshold on ${card.outOfScope.score} kept the in-scope floor: nothing rejected`
                : `${card.outOfScope.score} < ${num(card.outOfScope.threshold)} goes to review: in-scope accuracy with rejection ${pct(card.outOfScope.validationInScopeAccuracy)}, out-of-scope recall ${pct(card.outOfScope.validationOutOfScopeRecall)} on validation`}
            </dd>
          </>
        ) : null}
      </dl>
      <h3>Training data</h3>
      <ul className="plain">
        {card.training.datasets.map((d) => (
          <li key={d.ref}>
            <a href={href('datasets', d.ref)}>{d.ref}</a> ({int(d.rows)} rows) — {d.source}; owner {d.owner ?? '—'}, licence {d.licence ?? '—'}, collected {d.collectionPeriod ?? '—'}
          </li>
        ))}
      </ul>
      <h3>Limitations</h3>
      <ul className="plain">
        {card.limitations.length === 0 ? <li>None recorded.</li> : card.limitations.map((l, i) => <li key={i}>{l}</li>)}
      </ul>
      <h3>Saved evaluations</h3>
      <ul className="plain">
        {card.evaluations.map((e, i) => (
          <li key={i}>
            {time(e.at)} on {e.dataset} by {e.by}: accuracy {withCi(e.metrics['accuracy'])}
            {e.gate ? ` · gate '${e.gate.name}' ${e.gate.passed ? 'passed' : 'failed'}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ModelsPage(props: PageProps) {
  const model = props.route.rest[0];
  return model ? (
    <ModelDetail {...props} model={model} />
  ) : (
    <>
      <h1>Models</h1>
      <ModelList {...props} />
    </>
  );
}
