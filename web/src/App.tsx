/**
 * The labeling page: sign in with a token, pick a project, label items with keyboard shortcuts
 * (1–9 for labels, S to skip), or review the adjudication queue. Every piece of user-supplied text
 * (items, instructions, labels, names) is rendered as React text, never as HTML.
 */
import { useCallback, useEffect, useState } from 'react';
import { Api, ApiError, type ProjectSummary, type Progress, type QueueEntry, type ReviewItem, type ServedItem } from './api';

const TOKEN_KEY = 'mloop.token';

function describe(err: unknown): string {
  if (err instanceof ApiError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

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

function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="card">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="mlp_…"
          data-testid="token"
        />
        <button className="primary" type="submit" data-testid="sign-in">
          Sign in
        </button>
      </form>
      <p className="progress">
        Ask your project owner for a token (`mloop token create --user you`). It is kept in this tab only.
      </p>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [projects, setProjects] = useState<ProjectSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<{ project: ProjectSummary; mode: 'annotate' | 'review' } | null>(null);
  const api = token ? new Api(token) : null;

  useEffect(() => {
    if (!token) return;
    new Api(token)
      .projects()
      .then((r) => {
        setProjects(r.projects);
        setError(null);
      })
      .catch((err: unknown) => {
        setError(describe(err));
        if (err instanceof ApiError && err.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY);
          setToken(null);
        }
      });
  }, [token]);

  const signOut = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setProjects(null);
    setOpen(null);
  };

  return (
    <>
      <header>
        <strong>mloop labeling</strong>
        {open ? (
          <span data-testid="project-title">
            {open.project.name} · {open.mode === 'annotate' ? 'labeling' : 'review'}
          </span>
        ) : null}
        <span className="spacer" />
        {open ? <button onClick={() => setOpen(null)}>Projects</button> : null}
        {token ? <button onClick={signOut}>Sign out</button> : null}
      </header>
      <main>
        {error ? <div className="message error">{error}</div> : null}
        {!token || !api ? (
          <SignIn
            onToken={(t) => {
              sessionStorage.setItem(TOKEN_KEY, t);
              setToken(t);
            }}
          />
        ) : open ? (
          open.mode === 'annotate' ? (
            <Annotate key={open.project.name} api={api} project={open.project} />
          ) : (
            <Review key={open.project.name} api={api} project={open.project} />
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
                  <button
                    className="primary"
                    onClick={() => setOpen({ project: p, mode: 'annotate' })}
                    data-testid="open-annotate"
                  >
                    Label items
                  </button>
                ) : null}{' '}
                {p.can.review ? (
                  <button onClick={() => setOpen({ project: p, mode: 'review' })} data-testid="open-review">
                    Review queue
                  </button>
                ) : null}
              </p>
            </div>
          ))
        )}
      </main>
    </>
  );
}
