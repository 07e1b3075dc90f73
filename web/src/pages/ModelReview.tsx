/**
 * The model's review queue: predictions the model was not sure enough of, waiting for a person.
 * A reviewer confirms or corrects each one; the answer becomes ground truth (and training data for
 * the next retraining). Inputs are shown as text, never as HTML.
 */
import { useState } from 'react';
import { seg } from '../api';
import { num, time } from '../components/format';
import { describe, useLoad } from '../components/useLoad';
import type { Api } from '../api';

interface ReviewEntry {
  prediction_id: string;
  deployment: string;
  model: string;
  version: number;
  created_at: string;
  predicted: string | null;
  confidence: number | null;
  inputs?: Record<string, unknown>;
}

function Entry({ api, item, classes, onDone }: { api: Api; item: ReviewEntry; classes: string[]; onDone: () => void }) {
  const [label, setLabel] = useState(item.predicted ?? classes[0] ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    try {
      await api.post(`/v1/review/${seg(item.prediction_id)}`, { label });
      onDone();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="review-entry" data-testid="model-review-item">
      <div className="value">{Object.values(item.inputs ?? {}).map((v) => String(v)).join(' · ') || '(inputs not logged)'}</div>
      <p className="muted">
        {item.model} v{item.version} guessed <strong>{item.predicted ?? '—'}</strong> at confidence {num(item.confidence)} · {time(item.created_at)}
      </p>
      <label htmlFor={`r-${item.prediction_id}`}>Answer</label>{' '}
      <select id={`r-${item.prediction_id}`} value={label} onChange={(e) => setLabel(e.target.value)}>
        {classes.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>{' '}
      <button className="primary" disabled={busy || !label} onClick={() => void submit()}>
        {label === item.predicted ? 'Confirm' : 'Correct'}
      </button>
      {error ? <div className="message error">{error}</div> : null}
    </li>
  );
}

export function ModelReview({ api }: { api: Api }) {
  const queue = useLoad(() => api.get<{ items: ReviewEntry[] }>('/v1/review', { status: 'pending', limit: 20 }), [api]);
  const versions = [...new Set((queue.data?.items ?? []).map((i) => `${i.model}@${i.version}`))];
  const classes = useLoad(async () => {
    const out: Record<string, string[]> = {};
    for (const ref of versions) {
      const [m, v] = ref.split('@') as [string, string];
      out[ref] = await api.get<{ record: { classes?: string[] } }>(`/v1/models/${seg(m)}/versions/${seg(v)}`).then((x) => x.record.classes ?? []).catch(() => []);
    }
    return out;
  }, [api, versions.join(',')]);
  if (queue.error) return <div className="message error">{queue.error}</div>;
  if (!queue.data) return <p>Loading…</p>;
  if (queue.data.items.length === 0) return <p className="muted" data-testid="model-review-empty">No prediction is waiting for a person.</p>;
  return (
    <ul className="plain" data-testid="model-review">
      {queue.data.items.map((i) => (
        <Entry key={i.prediction_id} api={api} item={i} classes={classes.data?.[`${i.model}@${i.version}`] ?? (i.predicted ? [i.predicted] : [])} onDone={queue.reload} />
      ))}
    </ul>
  );
}
