/**
 * Runs and approvals: each retraining run as a timeline of its steps with their reasons, the
 * approvals waiting for a person (approve or reject with a comment, for roles allowed to decide),
 * and each model's alias history, where every promotion is recorded with its actor and reason.
 */
import { useCallback, useState } from 'react';
import { seg } from '../api';
import { time } from '../components/format';
import { ServerTable, SortableTable } from '../components/Table';
import { describe, useLoad } from '../components/useLoad';
import { href } from '../router';
import type { PageProps } from './types';

interface Run {
  id: string;
  model: string;
  state: string;
  reason: string;
  challenger: string | null;
  champion: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  steps: Array<{ step: string; status: string; reason: string; at: string }>;
}
interface Approval {
  id: string;
  run_id: string;
  model: string;
  version: number;
  status: string;
  evidence: Record<string, unknown>;
  created_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}
interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}
interface Move {
  seq: number;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  actor: string;
  reason: string;
}

/** Runs per page of the timeline; the server pages (GET /v1/runs?limit=&offset=). */
const RUNS_PAGE = 10;

const STATE_CLASS: Record<string, string> = { promoted: 'good', awaiting_approval: 'warn', gate_failed: 'bad', failed: 'bad', rejected: 'bad', expired: 'bad', running: 'warn' };

function Decide({ api, approval, onDone }: PageProps & { approval: Approval; onDone: () => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (verb: 'approve' | 'reject') => {
    if (!comment.trim()) {
      setError('A comment is required: say why.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post(`/v1/approvals/${seg(approval.id)}/${verb}`, { comment: comment.trim() });
      onDone();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="decide">
      <label htmlFor={`c-${approval.id}`}>Comment (recorded with your decision)</label>
      <textarea id={`c-${approval.id}`} value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} data-testid="approval-comment" />
      <button className="primary" disabled={busy} onClick={() => void act('approve')} data-testid="approve">
        Approve: promote v{approval.version} to champion
      </button>{' '}
      <button disabled={busy} onClick={() => void act('reject')} data-testid="reject">
        Reject
      </button>
      {error ? <div className="message error">{error}</div> : null}
    </div>
  );
}

function History({ api, model }: PageProps & { model: string }) {
  const { data, error } = useLoad(() => api.get<{ history: Move[] }>(`/v1/models/${seg(model)}/history`), [api, model]);
  if (error) return <div className="message error">{error}</div>;
  if (!data) return <p>Loading…</p>;
  return (
    <SortableTable
      testId={`history-${model}`}
      rows={data.history}
      rowKey={(m) => String(m.seq)}
      initial={{ key: 'at', order: 'desc' }}
      columns={[
        { key: 'at', title: 'when', render: (m) => time(m.at), sort: (m) => m.at },
        { key: 'alias', title: 'alias', render: (m) => m.alias, sort: (m) => m.alias },
        { key: 'move', title: 'move', render: (m) => `${m.from_version === null ? '—' : `v${m.from_version}`} → ${m.to_version === null ? 'removed' : `v${m.to_version}`}` },
        { key: 'actor', title: 'by', render: (m) => m.actor, sort: (m) => m.actor },
        { key: 'reason', title: 'reason', render: (m) => m.reason },
      ]}
    />
  );
}

/** The audit log's entries for one model (approval decisions), paged by the server. */
function AuditTrail({ api, model }: PageProps & { model: string }) {
  const load = useCallback(
    async (q: { offset: number; limit: number }) => {
      const page = await api.get<{ total: number; entries: AuditRow[] }>('/v1/audit', { target: `model:${model}`, limit: q.limit, offset: q.offset });
      return { total: page.total, rows: page.entries };
    },
    [api, model],
  );
  return (
    <ServerTable<AuditRow>
      testId={`audit-${model}`}
      load={load}
      initialSort="at"
      pageSize={10}
      rowKey={(e) => String(e.seq)}
      columns={[
        { key: 'at', title: 'when', render: (e) => time(e.at) },
        { key: 'actor', title: 'by', render: (e) => e.actor },
        { key: 'action', title: 'action', render: (e) => e.action },
        { key: 'version', title: 'version', render: (e) => (typeof e.details['version'] === 'number' ? `v${e.details['version']}` : '—') },
        { key: 'comment', title: 'comment', render: (e) => (typeof e.details['comment'] === 'string' ? e.details['comment'] : '—') },
      ]}
    />
  );
}

export function RunsPage(props: PageProps) {
  const { api, can } = props;
  const [runsOffset, setRunsOffset] = useState(0);
  const runs = useLoad(() => api.get<{ runs: Run[]; total: number }>('/v1/runs', { limit: RUNS_PAGE, offset: runsOffset }), [api, runsOffset]);
  const runsTotal = runs.data?.total ?? 0;
  const approvals = useLoad(() => api.get<{ approvals: Approval[] }>('/v1/approvals', { limit: 200 }), [api]);
  const models = useLoad(() => api.get<{ models: Array<{ name: string }> }>('/v1/models'), [api]);
  const [tick, setTick] = useState(0);
  const refresh = () => {
    runs.reload();
    approvals.reload();
    setTick(tick + 1);
  };
  const pending = approvals.data?.approvals.filter((a) => a.status === 'pending') ?? [];
  const decided = approvals.data?.approvals.filter((a) => a.status !== 'pending') ?? [];
  const mayDecide = can('approvals:decide');
  return (
    <>
      <h1>Runs &amp; approvals</h1>
      {runs.error || approvals.error ? <div className="message error">{runs.error ?? approvals.error}</div> : null}
      <section className="card">
        <h2>Waiting for approval</h2>
        {pending.length === 0 ? (
          <p className="muted" data-testid="no-pending">
            No challenger is waiting for a decision.
          </p>
        ) : (
          pending.map((a) => {
            const metrics = (a.evidence['metrics'] ?? {}) as Record<string, number | null>;
            return (
              <div className="approval" key={a.id} data-testid="pending-approval">
                <p>
                  <strong>
                    <a href={href('models', a.model)}>{a.model}</a> v{a.version}
                  </strong>{' '}
                  from run {a.run_id} · opened {time(a.created_at)} · expires {time(a.expires_at)}
                </p>
                <p data-testid="approval-evidence">
                  Gate &apos;{String(a.evidence['gate'] ?? '—')}&apos; passed on {String(a.evidence['dataset'] ?? '—')}
                  {a.evidence['champion'] ? ` against ${String(a.evidence['champion'])}` : ''}:{' '}
                  {['accuracy', 'macro_f1', 'ece']
                    .filter((k) => typeof metrics[k] === 'number')
                    .map((k) => `${k} ${k === 'ece' ? metrics[k]!.toFixed(3) : `${(metrics[k]! * 100).toFixed(1)}%`}`)
                    .join(', ')}{' '}
                  · <a href={`${href('models', a.model)}?b=${a.version}`}>compare v{a.version} with the champion</a>
                </p>
                {mayDecide ? <Decide {...props} approval={a} onDone={refresh} /> : <p className="muted">Your roles cannot approve or reject.</p>}
              </div>
            );
          })
        )}
      </section>
      <section className="card">
        <h2>Retraining runs</h2>
        {!runs.data ? (
          <p>Loading…</p>
        ) : runs.data.runs.length === 0 ? (
          <p className="muted">No retraining run yet.</p>
        ) : (
          <ol className="timeline" data-testid="runs">
            {runs.data.runs.map((r) => (
              <li key={r.id} data-testid="run">
                <p>
                  <span className={`badge ${STATE_CLASS[r.state] ?? ''}`}>{r.state}</span> <strong>{r.model}</strong> · {time(r.created_at)} by {r.created_by} · challenger {r.challenger ?? '—'}, champion {r.champion ?? '—'}
                </p>
                <p className="muted">{r.reason}</p>
                <ol className="steps">
                  {r.steps.map((s, i) => (
                    <li key={i}>
                      <span className={s.status === 'done' ? 'badge good' : s.status === 'failed' ? 'badge bad' : 'badge'}>{s.status}</span> <strong>{s.step}</strong> <span className="muted">{time(s.at)}</span> — {s.reason}
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ol>
        )}
        <div className="pager">
          <button disabled={runsOffset === 0} onClick={() => setRunsOffset(Math.max(0, runsOffset - RUNS_PAGE))} data-testid="runs-previous">
            ← Newer
          </button>
          <span data-testid="runs-range">{runsTotal === 0 ? 'nothing yet' : `${runsOffset + 1}–${Math.min(runsTotal, runsOffset + RUNS_PAGE)} of ${runsTotal}`}</span>
          <button disabled={runsOffset + RUNS_PAGE >= runsTotal} onClick={() => setRunsOffset(runsOffset + RUNS_PAGE)} data-testid="runs-next">
            Older →
          </button>
        </div>
      </section>
      <section className="card">
        <h2>Decisions</h2>
        <SortableTable
          testId="decided-approvals"
          rows={decided}
          rowKey={(a) => a.id}
          initial={{ key: 'at', order: 'desc' }}
          columns={[
            { key: 'at', title: 'decided', render: (a) => time(a.decided_at ?? a.expires_at), sort: (a) => a.decided_at ?? a.expires_at },
            { key: 'model', title: 'model', render: (a) => `${a.model} v${a.version}`, sort: (a) => a.model },
            { key: 'status', title: 'decision', render: (a) => a.status, sort: (a) => a.status },
            { key: 'by', title: 'by', render: (a) => a.decided_by ?? '—', sort: (a) => a.decided_by },
            { key: 'comment', title: 'comment', render: (a) => a.comment ?? '—' },
          ]}
        />
      </section>
      {(models.data?.models ?? []).map((m) => (
        <section className="card" key={`${m.name}-${tick}`}>
          <h2>Alias history · {m.name}</h2>
          <History {...props} model={m.name} />
        </section>
      ))}
      {can('users:read')
        ? (models.data?.models ?? []).map((m) => (
            <section className="card" key={`audit-${m.name}-${tick}`}>
              <h2>Audit trail · {m.name}</h2>
              <AuditTrail {...props} model={m.name} />
            </section>
          ))
        : null}
    </>
  );
}
