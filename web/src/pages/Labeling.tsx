/**
 * The labeling page: pick a project, label items with keyboard shortcuts (1–9 for labels, S to
 * skip), or review the adjudication queue; project managers also see progress, agreement with its
 * intervals and each annotator's quality. Every piece of user-supplied text (items, instructions,
 * labels, names) is rendered as React text, never as HTML.
 */
import { useCallback, useEffect, useState } from 'react';
import { Api, ApiError, seg, type ProjectSummary, type Progress, type QueueEntry, type ReviewItem, type ServedItem } from '../api';
import { SortableTable } from '../components/Table';
import { int, pct } from '../components/format';
import { describe, useLoad } from '../components/useLoad';
import { ModelReview } from './ModelReview';

/** Calls `onKey(index)` for keys 1–9 and `onSkip` for S, unless the user is typing in a field. */
function useShortcuts(count: number, onKey: (index: number) => void, onSkip?: () => void) {
  useEffect(() => {
    const handler = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const n = Number(e.key);
      if (Number.isInteger(n) && n >= 1 && n <= Math.min(9, count)) {
        e.preventDefault();
        onKey(n - 1);
      } else if (onSkip && (e.key === 's' || e.key === 'S')) {
        e.preventDefault();
        onSkip();
      }
    };
    window.addEventListener('keydown', handler);
    return () => window.removeEventListener('keydown', handler);
  }, [count, onKey, onSkip]);
}

function Fields({ data }: { data: Record<string, string | number | null> }) {
  return (
    <>
      {Object.entries(data).map(([name, value]) => (
        <div className="field" key={name}>
          <div className="name">{name}</div>
          <div className="value" data-testid="item-value">
            {value === null ? '—' : String(value)}
          </div>
        </div>
      ))}
    </>
  );
}

function LabelButtons({ labels, disabled, onPick }: { labels: string[]; disabled: boolean; onPick: (label: string) => void }) {
  return (
    <div className="labels">
      {labels.map((label, i) => (
        <button key={label} className="primary" disabled={disabled} onClick={() => onPick(label)} data-testid="label-button">
          {i < 9 ? <kbd>{i + 1}</kbd> : null}
          {label}
        </button>
      ))}
    </div>
  );
}

function Annotate({ api, project }: { api: Api; project: ProjectSummary }) {
  const [item, setItem] = useState<ServedItem | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(true);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const load = useCallback(async () => {
    setBusy(true);
    try {
      const r = await api.next(project.name);
      setItem(r.item);
      setProgress(r.progress);
      setDone(r.item === null);
    } catch (err) {
      setItem(null);
      setMessage({
        text:
          err instanceof ApiError && err.code === 'FAILED_PRECONDITION'
            ? `You are paused in this project: ${err.message}`
            : describe(err),
        error: true,
      });
    } finally {
      setBusy(false);
    }
  }, [api, project.name]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = useCallback(
    async (what: (current: ServedItem) => Promise<unknown>) => {
      if (!item || busy) return;
      setBusy(true);
      setMessage(null);
      try {
        await what(item);
      } catch (err) {
        // A lease that expired or moved on: say so, then carry on with the next item.
        if (err instanceof ApiError && err.status === 409)
          setMessage({ text: 'That item was no longer yours (the lease expired); here is the next one.', error: false });
        else setMessage({ text: describe(err), error: true });
      }
      await load();
    },
    [item, busy, load],
  );
  const pick = useCallback(
    (label: string) => void act((current) => api.answer(project.name, current, label)),
    [act, api, project.name],
  );
  const skip = useCallback(() => void act((current) => api.skip(project.name, current)), [act, api, project.name]);
  useShortcuts(project.labels.length, (i) => pick(project.labels[i]!), skip);

  return (
    <>
      {project.instructions ? (
        <div className="card">
          <div className="name">Instructions</div>
          <div className="instructions" data-testid="instructions">
            {project.instructions}
          </div>
        </div>
      ) : null}
      {message ? <div className={message.error ? 'message error' : 'message'}>{message.text}</div> : null}
      {progress ? (
        <p className="progress" data-testid="progress">
          You answered {progress.answered}
          {progress.skipped > 0 ? `, skipped ${progress.skipped}` : ''}; {progress.available} left for you · project{' '}
          {progress.project_complete}/{progress.project_items} items complete
        </p>
      ) : null}
      {done ? (
        <div className="card" data-testid="done">
          All done: nothing is left for you in this project. Thank you!
        </div>
      ) : item ? (
        <div className="card" data-testid="item">
          <Fields data={item.data} />
          <LabelButtons labels={project.labels} disabled={busy} onPick={pick} />
          <p>
            <button onClick={skip} disabled={busy} data-testid="skip">
              <kbd>S</kbd>Skip
            </button>
          </p>
        </div>
      ) : null}
    </>
  );
}

function Review({ api, project }: { api: Api; project: ProjectSummary }) {
  const [queue, setQueue] = useState<QueueEntry[] | null>(null);
  const [current, setCurrent] = useState<ReviewItem | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    setBusy(true);
    try {
      const q = await api.queue(project.name);
      setQueue(q.items);
      const first = q.items[0];
      setCurrent(first ? await api.item(project.name, first.item) : null);
      setNote('');
    } catch (err) {
      setMessage(describe(err));
    } finally {
      setBusy(false);
    }
  }, [api, project.name]);
  useEffect(() => {
    void load();
  }, [load]);

  const decide = useCallback(
    async (label: string) => {
      if (!current || busy) return;
      setBusy(true);
      try {
        await api.decide(project.name, current.item, label, note);
        setMessage(null);
      } catch (err) {
        setMessage(describe(err));
      }
      await load();
    },
    [api, busy, current, load, note, project.name],
  );
  useShortcuts(project.labels.length, (i) => void decide(project.labels[i]!));

  return (
    <>
      {message ? <div className="message error">{message}</div> : null}
      <p className="progress" data-testid="queue-size">
        {queue === null ? 'Loading…' : `${queue.length} item(s) waiting for a decision`}
      </p>
      {queue !== null && queue.length === 0 ? (
        <div className="card" data-testid="queue-empty">
          The adjudication queue is empty.
        </div>
      ) : null}
      {current ? (
        <div className="card" data-testid="review-item">
          <div className="name">Item {current.item}</div>
          <Fields data={current.data} />
          <table>
            <thead>
              <tr>
                <th>annotator</th>
                <th>label</th>
              </tr>
            </thead>
            <tbody>
              {current.answers.map((a) => (
                <tr key={a.worker}>
                  <td>{a.worker}</td>
                  <td>
                    {a.label}
                    {a.flagged ? ' (flagged)' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {current.consensus ? (
            <p className="progress">
              Consensus: {current.consensus.label} ({(current.consensus.confidence * 100).toFixed(0)}%, {current.consensus.method}
              )
            </p>
          ) : null}
          <input
            type="text"
            placeholder="Note (optional)"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            maxLength={2000}
          />
          <LabelButtons labels={project.labels} disabled={busy} onPick={(l) => void decide(l)} />
        </div>
      ) : null}
    </>
  );
}


interface Interval {
  lower: number;
  upper: number;
}
interface ProjectStats {
  items: { total: number; gold: number; complete: number; started: number };
  answers: { total: number; flagged: number };
  adjudication: { pending: number; decided: number; threshold: number };
  agreement: { fleiss_kappa: number | null; krippendorff_alpha: number | null; intervals: { fleiss_kappa: Interval | null; krippendorff_alpha: Interval | null } };
  consensus_method: string;
  annotators: Array<{
    worker: string;
    state: string;
    reason: string | null;
    answers: number;
    flagged: number;
    gold: { answers: number; correct: number; accuracy: number; ci: Interval | null } | null;
    consensus_agreement: number | null;
  }>;
}

const ci = (v: number | null, i: Interval | null) => (v === null ? '—' : `${v.toFixed(2)}${i ? ` (95% CI ${i.lower.toFixed(2)}–${i.upper.toFixed(2)})` : ''}`);

/** Progress, agreement with intervals, per-annotator quality and pauses (labeling:manage). */
function Stats({ api, project }: { api: Api; project: string }) {
  const { data, error } = useLoad(() => api.get<ProjectStats>(`/v1/labeling/projects/${seg(project)}/stats`), [api, project]);
  if (error) return <div className="message error">{error}</div>;
  if (!data) return <p className="muted">Loading statistics…</p>;
  return (
    <div data-testid="labeling-stats">
      <div className="kpis">
        <div className="kpi">
          <span className="kpi-label">Items complete</span>
          <span className="kpi-value" data-testid="labeling-complete">
            {int(data.items.complete)} / {int(data.items.total)}
          </span>
          <progress max={data.items.total} value={data.items.complete} aria-label="items complete" />
        </div>
        <div className="kpi">
          <span className="kpi-label">Answers (flagged)</span>
          <span className="kpi-value">
            {int(data.answers.total)} ({int(data.answers.flagged)})
          </span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Fleiss&apos; kappa</span>
          <span className="kpi-value" data-testid="kappa">
            {ci(data.agreement.fleiss_kappa, data.agreement.intervals.fleiss_kappa)}
          </span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Krippendorff&apos;s alpha</span>
          <span className="kpi-value">{ci(data.agreement.krippendorff_alpha, data.agreement.intervals.krippendorff_alpha)}</span>
        </div>
        <div className="kpi">
          <span className="kpi-label">Adjudication queue</span>
          <span className="kpi-value">
            {int(data.adjudication.pending)} pending · {int(data.adjudication.decided)} decided
          </span>
        </div>
      </div>
      <h3>Annotators</h3>
      <SortableTable
        testId="annotators"
        rows={data.annotators}
        rowKey={(a) => a.worker}
        initial={{ key: 'answers', order: 'desc' }}
        columns={[
          { key: 'worker', title: 'annotator', render: (a) => a.worker, sort: (a) => a.worker },
          { key: 'state', title: 'state', render: (a) => (a.state === 'paused' ? <span className="badge bad">paused: {a.reason}</span> : a.state), sort: (a) => a.state },
          { key: 'answers', title: 'answers', render: (a) => int(a.answers), sort: (a) => a.answers, numeric: true },
          { key: 'flagged', title: 'flagged', render: (a) => int(a.flagged), sort: (a) => a.flagged, numeric: true },
          {
            key: 'gold',
            title: 'gold accuracy (95% CI)',
            render: (a) => (a.gold ? `${pct(a.gold.accuracy)} (${a.gold.correct}/${a.gold.answers}${a.gold.ci ? `, ${pct(a.gold.ci.lower, 0)}–${pct(a.gold.ci.upper, 0)}` : ''})` : 'no gold answers'),
            sort: (a) => a.gold?.accuracy ?? null,
            numeric: true,
          },
          { key: 'agree', title: 'agrees with consensus', render: (a) => pct(a.consensus_agreement), sort: (a) => a.consensus_agreement, numeric: true },
        ]}
      />
      <p className="muted">Consensus method: {data.consensus_method}; intervals are 95% (bootstrap for agreement, Wilson for gold accuracy).</p>
    </div>
  );
}

/** The labeling page: every project the caller may label, review or manage. */
export function LabelingPage({ api, canReviewPredictions }: { api: Api; canReviewPredictions: boolean }) {
  const [projects, setProjects] = useState<ProjectSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<{ project: ProjectSummary; mode: 'annotate' | 'review' | 'stats' } | null>(null);

  useEffect(() => {
    api
      .projects()
      .then((r) => {
        setProjects(r.projects);
        setError(null);
      })
      .catch((err: unknown) => setError(describe(err)));
  }, [api]);

  return (
    <>
      <h1>
        Labeling
        {open ? (
          <span className="subtitle" data-testid="project-title">
            {' '}
            · {open.project.name} · {open.mode === 'annotate' ? 'labeling' : open.mode === 'review' ? 'review' : 'quality'}
          </span>
        ) : null}
      </h1>
      {open ? (
        <p>
          <button onClick={() => setOpen(null)}>← Projects</button>
        </p>
      ) : null}
      {error ? <div className="message error">{error}</div> : null}
      {open ? (
        open.mode === 'annotate' ? (
          <Annotate key={open.project.name} api={api} project={open.project} />
        ) : open.mode === 'review' ? (
          <Review key={open.project.name} api={api} project={open.project} />
        ) : (
          <Stats api={api} project={open.project.name} />
        )
      ) : projects === null ? (
        <p>Loading…</p>
      ) : projects.length === 0 ? (
        <div className="card">You have no labeling projects yet.</div>
      ) : (
        projects.map((p) => (
          <div className="card" key={p.name} data-testid="project">
            <strong>{p.name}</strong> <span className="progress">labels: {p.labels.join(', ')}</span>
            <p>
              {p.can.annotate ? (
                <button className="primary" onClick={() => setOpen({ project: p, mode: 'annotate' })} data-testid="open-annotate">
                  Label items
                </button>
              ) : null}{' '}
              {p.can.review ? (
                <button onClick={() => setOpen({ project: p, mode: 'review' })} data-testid="open-review">
                  Review queue
                </button>
              ) : null}{' '}
              {p.can.manage ? (
                <button onClick={() => setOpen({ project: p, mode: 'stats' })} data-testid="open-stats">
                  Progress and quality
                </button>
              ) : null}
            </p>
          </div>
        ))
      )}
      {!open && canReviewPredictions ? (
        <section className="card">
          <h2>Review queue: predictions waiting for a person</h2>
          <ModelReview api={api} />
        </section>
      ) : null}
    </>
  );
}
