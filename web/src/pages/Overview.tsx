/** Overview: every model with its champion, deployment, traffic, automation, accuracy, alerts and next run. */
import { day, int, pct, time } from '../components/format';
import { SortableTable } from '../components/Table';
import { useLoad } from '../components/useLoad';
import { href } from '../router';
import type { PageProps } from './types';

export interface OverviewModel {
  name: string;
  task: string;
  latest_version: number;
  champion: number | null;
  challenger: number | null;
  deployments: Array<{ name: string; ref: string; shadow: string | null; canary: string | null; canary_percent: number }>;
  traffic: { last_7d: number; auto: number; review: number; auto_share: number | null; review_share: number | null; last_prediction_at: string | null };
  accuracy: { realized: number | null; labels: number; labelled_through: string | null; estimated: number | null; estimated_method: string };
  open_alerts: number;
  pending_approvals: number;
  policy: { promotion: string; target_precision: number | null } | null;
  next_run: { schedule: string; at: string; cron: string } | null;
  last_run: { id: string; state: string; at: string; reason: string } | null;
}

export function OverviewPage({ api }: PageProps) {
  const { data, error } = useLoad(() => api.get<{ generated_at: string; as_of: string; models: OverviewModel[] }>('/v1/overview'), [api]);
  return (
    <>
      <h1>Overview</h1>
      {error ? <div className="message error">{error}</div> : null}
      {!data ? (
        <p>Loading…</p>
      ) : data.models.length === 0 ? (
        <div className="card">No models yet. Train one with `mloop train`.</div>
      ) : (
        <>
          {data.models.map((m) => (
            <section className="card" key={m.name} data-testid="overview-model">
              <h2>
                <a href={href('models', m.name)}>{m.name}</a> <span className="subtitle">{m.task}</span>
              </h2>
              <div className="kpis">
                <div className="kpi">
                  <span className="kpi-label">Champion</span>
                  <span className="kpi-value" data-testid="champion">
                    {m.champion === null ? 'none' : `v${m.champion}`}
                  </span>
                  <span className="kpi-note">{m.challenger === null ? 'no challenger' : `challenger v${m.challenger}`}</span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Deployment</span>
                  <span className="kpi-value">{m.deployments.length === 0 ? 'not deployed' : m.deployments.map((d) => d.ref).join(', ')}</span>
                  <span className="kpi-note">
                    {m.deployments.map((d) => [d.shadow ? `shadow ${d.shadow}` : '', d.canary ? `canary ${d.canary} ${d.canary_percent}%` : ''].filter(Boolean).join(', ')).join('; ') || 'no shadow, no canary'}
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Traffic, last 7 days</span>
                  <span className="kpi-value" data-testid="traffic">
                    {int(m.traffic.last_7d)}
                  </span>
                  <span className="kpi-note">last request {time(m.traffic.last_prediction_at)}</span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Automated / review</span>
                  <span className="kpi-value" data-testid="auto-share">
                    {pct(m.traffic.auto_share)} / {pct(m.traffic.review_share)}
                  </span>
                  <span className="kpi-note">
                    {int(m.traffic.auto)} automated, {int(m.traffic.review)} to people
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Realized accuracy</span>
                  <span className="kpi-value" data-testid="realized">
                    {pct(m.accuracy.realized)}
                  </span>
                  <span className="kpi-note">
                    {int(m.accuracy.labels)} labels (90 days), through {day(m.accuracy.labelled_through)}
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Estimated accuracy</span>
                  <span className="kpi-value" data-testid="estimated">
                    {pct(m.accuracy.estimated)}
                  </span>
                  <span className="kpi-note">{m.accuracy.estimated_method}</span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Open alerts</span>
                  <span className={m.open_alerts > 0 ? 'kpi-value bad' : 'kpi-value'} data-testid="open-alerts">
                    {m.open_alerts}
                  </span>
                  <span className="kpi-note">
                    <a href={href('monitoring', m.name)}>monitoring</a>
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">Next scheduled run</span>
                  <span className="kpi-value">{m.next_run ? time(m.next_run.at) : 'none scheduled'}</span>
                  <span className="kpi-note">
                    {m.pending_approvals > 0 ? <a href={href('runs')}>{m.pending_approvals} approval(s) waiting</a> : m.last_run ? `last run ${m.last_run.state}` : 'no run yet'}
                  </span>
                </div>
              </div>
            </section>
          ))}
          <h2>All models</h2>
          <SortableTable
            testId="overview-table"
            rows={data.models}
            rowKey={(m) => m.name}
            columns={[
              { key: 'name', title: 'model', render: (m) => <a href={href('models', m.name)}>{m.name}</a>, sort: (m) => m.name },
              { key: 'champion', title: 'champion', render: (m) => (m.champion === null ? '—' : `v${m.champion}`), sort: (m) => m.champion, numeric: true },
              { key: 'traffic', title: 'traffic 7d', render: (m) => int(m.traffic.last_7d), sort: (m) => m.traffic.last_7d, numeric: true },
              { key: 'auto', title: 'automated', render: (m) => pct(m.traffic.auto_share), sort: (m) => m.traffic.auto_share, numeric: true },
              { key: 'realized', title: 'realized acc.', render: (m) => pct(m.accuracy.realized), sort: (m) => m.accuracy.realized, numeric: true },
              { key: 'estimated', title: 'estimated acc.', render: (m) => pct(m.accuracy.estimated), sort: (m) => m.accuracy.estimated, numeric: true },
              { key: 'alerts', title: 'open alerts', render: (m) => m.open_alerts, sort: (m) => m.open_alerts, numeric: true },
              { key: 'next', title: 'next run', render: (m) => time(m.next_run?.at), sort: (m) => m.next_run?.at ?? null },
            ]}
          />
          <p className="muted" data-testid="as-of">
            As of {time(data.generated_at)} UTC
            {data.as_of !== data.generated_at ? `; traffic windows end at the newest prediction, ${time(data.as_of)} UTC (the log runs ahead of the clock)` : ''}.
          </p>
        </>
      )}
    </>
  );
}
