/**
 * Deployments and monitoring of one model: traffic, decisions and latency percentiles per day,
 * shadow agreement, per-feature drift over time with reference-versus-current distributions,
 * realized versus estimated accuracy over time, the alert history and the decisions log (both
 * sorted and paginated on the server).
 */
import { useCallback, useMemo } from 'react';
import { seg } from '../api';
import { Chart } from '../components/Chart';
import { num, time } from '../components/format';
import { secs } from '../components/series';
import { ServerTable } from '../components/Table';
import { useLoad } from '../components/useLoad';
import { href } from '../router';
import type { PageProps } from './types';

interface Day {
  day: string;
  predictions: number;
  auto: number;
  review: number;
  latency: { p50: number; p95: number; p99: number };
  labelled: number;
  correct: number;
  shadow: number;
  shadowAgree: number;
}
interface Monitoring {
  computed_at: string;
  /** False: predictions or ground truth arrived since; a newer report is being computed. */
  fresh?: boolean;
  window: string;
  reference: { kind: string; ref: string; rows: number };
  windows: Array<{
    start: string;
    predictions: number;
    review_share: number;
    drift_share: number | null;
    features: Record<string, { statistic: number; threshold: number | null; drift: boolean; test: string }>;
    realized: number | null;
    estimated: number | null;
    labels: number;
  }>;
  features: Array<{ name: string; test: string; statistic: number; threshold: number | null; drift: boolean; p_value: number | null }>;
  distributions: Array<{ name: string; kind: string; bins: string[]; reference: number[]; current: number[] }>;
}
interface AlertRow {
  id: string;
  rule: string;
  model: string;
  metric: string;
  status: string;
  value: number | null;
  threshold: number;
  windows: number;
  first_window: string;
  message: string;
  updated_at: string;
}
interface DecisionRow {
  id: string;
  at: string;
  deployment: string;
  version: number;
  role: string;
  label: string | null;
  confidence: number | null;
  decision: string;
  latency_ms: number;
  truth: string | null;
}

function Ops({ api, model }: PageProps & { model: string }) {
  const { data, error } = useLoad(() => api.get<{ days: Day[] }>(`/v1/dashboard/models/${seg(model)}/traffic`, { days: 365 }), [api, model]);
  const charts = useMemo(() => {
    if (!data) return null;
    const x = data.days.map((d) => secs(`${d.day}T00:00:00Z`));
    const shadowDays = data.days.filter((d) => d.shadow > 0);
    return {
      traffic: [x, data.days.map((d) => d.predictions), data.days.map((d) => d.auto), data.days.map((d) => d.review)] as [number[], number[], number[], number[]],
      latency: [x, data.days.map((d) => d.latency.p50), data.days.map((d) => d.latency.p95), data.days.map((d) => d.latency.p99)] as [number[], number[], number[], number[]],
      shadow: shadowDays.length ? ([shadowDays.map((d) => secs(`${d.day}T00:00:00Z`)), shadowDays.map((d) => d.shadowAgree / d.shadow)] as [number[], number[]]) : null,
      total: data.days.reduce((n, d) => n + d.predictions, 0),
    };
  }, [data]);
  if (error) return <div className="message error">{error}</div>;
  if (!charts) return <p>Loading traffic…</p>;
  if (charts.total === 0) return <p className="muted">No logged predictions in the last year.</p>;
  return (
    <div className="grid2">
      <section className="card">
        <Chart title="Predictions per day" testId="traffic-chart" time data={charts.traffic} yLabel="predictions" series={[{ label: 'all' }, { label: 'automated' }, { label: 'to review' }]} />
      </section>
      <section className="card">
        <Chart title="Latency per day (ms)" testId="latency-chart" time data={charts.latency} yLabel="ms" series={[{ label: 'p50' }, { label: 'p95' }, { label: 'p99' }]} />
      </section>
      <section className="card">
        {charts.shadow ? (
          <Chart title="Shadow agreement with the served answer" testId="shadow-chart" time data={charts.shadow} yRange={[0, 1]} series={[{ label: 'agreement' }]} />
        ) : (
          <p className="muted">No shadow deployment has logged predictions.</p>
        )}
      </section>
    </div>
  );
}

function Drift({ api, model }: PageProps & { model: string }) {
  const { data, error, loading } = useLoad(() => api.get<Monitoring>(`/v1/dashboard/models/${seg(model)}/monitoring`), [api, model]);
  const charts = useMemo(() => {
    if (!data) return null;
    const ws = data.windows;
    const x = ws.map((w) => secs(w.start));
    const names = [...new Set(ws.flatMap((w) => Object.keys(w.features)))];
    return {
      accuracy: [x, ws.map((w) => w.realized), ws.map((w) => w.estimated)] as [number[], Array<number | null>, Array<number | null>],
      review: [x, ws.map((w) => w.review_share)] as [number[], number[]],
      drift: names.map((n) => ({
        name: n,
        data: [x, ws.map((w) => w.features[n]?.statistic ?? null), ws.map((w) => w.features[n]?.threshold ?? null)] as [number[], Array<number | null>, Array<number | null>],
      })),
    };
  }, [data]);
  if (error) return <div className="message error">{error}</div>;
  if (!data || !charts) return <p data-testid="monitoring-loading">{loading ? 'Computing the monitoring report (it is kept until new predictions or ground truth arrive)…' : ''}</p>;
  return (
    <>
      <p className="muted">
        {data.window} windows against {data.reference.kind} {data.reference.ref} ({data.reference.rows} rows); computed {time(data.computed_at)} UTC{data.fresh === false ? '; newer predictions or ground truth have arrived since, and a new report is being computed' : ''}.
      </p>
      <div className="grid2">
        <section className="card">
          <Chart title="Realized versus estimated accuracy" testId="accuracy-chart" time data={charts.accuracy} yRange={[0, 1]} series={[{ label: 'realized (labelled)' }, { label: 'estimated', dash: [6, 4] }]} />
        </section>
        <section className="card">
          <Chart title="Share sent to review" testId="review-chart" time data={charts.review} yRange={[0, 1]} series={[{ label: 'review share' }]} />
        </section>
        {charts.drift.map((d) => (
          <section className="card" key={d.name}>
            <Chart title={`Drift of '${d.name}' per window`} testId="drift-chart" time data={d.data} series={[{ label: 'statistic' }, { label: 'alarm threshold', dash: [6, 4], color: '#999' }]} />
          </section>
        ))}
        {data.distributions.map((dist) => {
          const n = Math.min(20, dist.bins.length);
          const total = (a: number[]) => a.reduce((s, v) => s + v, 0) || 1;
          const rt = total(dist.reference);
          const ct = total(dist.current);
          return (
            <section className="card" key={dist.name}>
              <Chart
                title={`'${dist.name}': reference versus latest window (share)`}
                testId="distribution-chart"
                data={[Array.from({ length: n }, (_, i) => i), dist.reference.slice(0, n).map((v) => v / rt), dist.current.slice(0, n).map((v) => v / ct)]}
                categories={dist.bins.slice(0, n)}
                series={[{ label: 'reference', bars: true }, { label: 'current', bars: true }]}
              />
            </section>
          );
        })}
      </div>
      <h3>Latest window</h3>
      <ul className="plain" data-testid="drift-features">
        {data.features.map((f) => (
          <li key={f.name}>
            <span className={f.drift ? 'badge bad' : 'badge good'}>{f.drift ? 'drift' : 'stable'}</span> {f.name}: {f.test} statistic {num(f.statistic)} (alarm at {num(f.threshold)})
          </li>
        ))}
      </ul>
    </>
  );
}

function ModelMonitoring(props: PageProps & { model: string }) {
  const { api, model } = props;
  const loadAlerts = useCallback(
    (q: { offset: number; limit: number; sort: string; order: 'asc' | 'desc' }) => api.get<{ total: number; rows: AlertRow[] }>('/v1/dashboard/alerts', { ...q, model }),
    [api, model],
  );
  const loadDecisions = useCallback(
    (q: { offset: number; limit: number; sort: string; order: 'asc' | 'desc' }) => api.get<{ total: number; rows: DecisionRow[] }>(`/v1/dashboard/models/${seg(model)}/decisions`, q),
    [api, model],
  );
  return (
    <>
      <h1>
        <a href={href('monitoring')}>Monitoring</a> · {model}
      </h1>
      <h2>Traffic and latency</h2>
      <Ops {...props} />
      <h2>Drift and accuracy</h2>
      <Drift {...props} />
      <section className="card">
        <h2>Alert history</h2>
        <ServerTable<AlertRow>
          testId="alerts-table"
          load={loadAlerts}
          initialSort="updated_at"
          rowKey={(a) => a.id}
          columns={[
            { key: 'updated_at', title: 'updated', render: (a) => time(a.updated_at), serverSort: true },
            { key: 'rule', title: 'rule', render: (a) => a.rule, serverSort: true },
            { key: 'status', title: 'status', render: (a) => <span className={a.status === 'firing' ? 'badge bad' : 'badge good'}>{a.status}</span>, serverSort: true },
            { key: 'value', title: 'value', render: (a) => `${num(a.value)} vs ${num(a.threshold)}`, serverSort: true, numeric: true },
            { key: 'windows', title: 'windows', render: (a) => a.windows, serverSort: true, numeric: true },
            { key: 'message', title: 'message', render: (a) => a.message },
          ]}
        />
      </section>
      <section className="card">
        <h2>Decisions</h2>
        <ServerTable<DecisionRow>
          testId="decisions-table"
          load={loadDecisions}
          initialSort="at"
          rowKey={(d) => d.id}
          columns={[
            { key: 'at', title: 'time', render: (d) => time(d.at), serverSort: true },
            { key: 'label', title: 'answer', render: (d) => d.label ?? '—', serverSort: true },
            { key: 'confidence', title: 'confidence', render: (d) => num(d.confidence), serverSort: true, numeric: true },
            { key: 'decision', title: 'decision', render: (d) => d.decision, serverSort: true },
            { key: 'truth', title: 'truth', render: (d) => (d.truth === null ? '—' : d.truth === d.label ? `${d.truth} ✓` : `${d.truth} ✗`) },
            { key: 'latency_ms', title: 'latency', render: (d) => `${d.latency_ms.toFixed(1)} ms`, serverSort: true, numeric: true },
            { key: 'version', title: 'version', render: (d) => `v${d.version} ${d.role}` },
          ]}
        />
      </section>
    </>
  );
}

export function MonitoringPage(props: PageProps) {
  const model = props.route.rest[0];
  if (model) return <ModelMonitoring {...props} model={model} />;
  return <ModelList {...props} />;
}

function ModelList(props: PageProps) {
  const list = useLoad(() => props.api.get<{ models: Array<{ name: string }> }>('/v1/models'), [props.api]);
  return (
    <>
      <h1>Monitoring</h1>
      {list.error ? <div className="message error">{list.error}</div> : null}
      <ul className="plain">
        {(list.data?.models ?? []).map((m) => (
          <li key={m.name}>
            <a href={href('monitoring', m.name)}>{m.name}</a>
          </li>
        ))}
      </ul>
    </>
  );
}
