/**
 * Settings: the retraining policy of each model (PUT /v1/policies/{model}), alert rules (create,
 * change, delete) and, for administrators, users (create with roles, set roles, revoke tokens).
 * Each section shows only for roles that may change it; the server checks every call again and
 * its error message (with the policy's issues, each with its path) is shown as it comes.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, seg, type Issue } from '../api';
import { describe, useLoad } from '../components/useLoad';
import { SortableTable } from '../components/Table';
import type { PageProps } from './types';

type Json = Record<string, unknown>;

interface PolicyEntry {
  policy: Json & { model: string };
  updated_at: string;
  updated_by: string;
}

interface Rule {
  id: string;
  name: string;
  model: string;
  metric: string;
  op: string;
  threshold: number;
  consecutive: number;
  window: string;
  webhook: string | null;
  enabled: boolean;
  created_by: string;
}

interface UserRow {
  id: string;
  name: string;
  created_at: string;
  roles: Array<{ role: string; scope: string }>;
}

interface TokenRow {
  id: string;
  user: string;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const OPS = ['<', '<=', '>', '>='];
const ROLE_HINT = 'admin, owner, engineer, reviewer, annotator, viewer; role:project limits a role to one project';
const time = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');
const roleText = (roles: UserRow['roles']) => roles.map((r) => (r.scope === '*' ? r.role : `${r.role}:${r.scope}`)).join(', ');
const splitRoles = (text: string) =>
  text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

/** The server's refusal: its code and message, and each issue with its path. */
function Failure({ error, testId }: { error: unknown; testId: string }) {
  if (error === null || error === undefined) return null;
  const issues: Issue[] = error instanceof ApiError ? error.issues : [];
  return (
    <div className="message error" role="alert" data-testid={testId}>
      {describe(error)}
      {issues.length > 0 ? (
        <ul>
          {issues.map((i, n) => (
            <li key={n}>
              <code>{i.path || '(policy)'}</code>: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** A copy of `obj` with the value at `path` replaced. */
function setIn(obj: Json, path: string[], value: unknown): Json {
  const [head, ...rest] = path;
  if (head === undefined) return obj;
  const child = (obj[head] ?? {}) as Json;
  return { ...obj, [head]: rest.length === 0 ? value : setIn(typeof child === 'object' && child !== null ? child : {}, rest, value) };
}
function getIn(obj: Json, path: string[]): unknown {
  let v: unknown = obj;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Json)[p] : undefined;
  return v;
}
/** A number field's text as the policy holds it: a number, or the text itself so that the server names the problem. */
const numberOrText = (text: string): unknown => (text.trim() === '' ? null : Number.isFinite(Number(text)) ? Number(text) : text);

function PolicyEditor({ api, entry, onSaved }: PageProps & { entry: PolicyEntry; onSaved: () => void }) {
  const [draft, setDraft] = useState<Json>(entry.policy);
  const [json, setJson] = useState(() => JSON.stringify(entry.policy, null, 2));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState({ at: entry.updated_at, by: entry.updated_by });
  const model = entry.policy.model;
  const save = async (policy: unknown) => {
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const res = await api.put<{ policy: Json }>(`/v1/policies/${seg(model)}`, policy);
      setDraft(res.policy);
      setJson(JSON.stringify(res.policy, null, 2));
      setSaved(`Saved the policy of ${model}.`);
      setLast({ at: new Date().toISOString(), by: 'you' });
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, label: string, path: string[], kind: 'number' | 'text', hint?: string) => {
    const v = getIn(draft, path);
    return (
      <div className="form-row">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="text"
          inputMode={kind === 'number' ? 'decimal' : undefined}
          value={v === null || v === undefined || v === false ? '' : String(v)}
          onChange={(e) => setDraft(setIn(draft, path, kind === 'number' ? numberOrText(e.target.value) : e.target.value === '' ? false : e.target.value))}
          data-testid={`policy-${path.join('-')}`}
        />
        {hint ? <span className="muted">{hint}</span> : null}
      </div>
    );
  };
  const drift = getIn(draft, ['triggers', 'drift']);
  const performance = getIn(draft, ['triggers', 'performance']);
  return (
    <div data-testid="policy-editor">
      <p className="muted">
        Last set {time(last.at)} by {last.by}. Training data {String(getIn(draft, ['training', 'dataset']) ?? '—')}, gate &apos;{String(getIn(draft, ['gate', 'name']) ?? '—')}&apos;.
      </p>
      <form
        className="form-grid"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void save(draft);
        }}
      >
        <div className="form-row">
          <label htmlFor="policy-promotion">Promotion</label>
          <select id="policy-promotion" value={String(draft['promotion'] ?? 'approval')} onChange={(e) => setDraft({ ...draft, promotion: e.target.value })} data-testid="policy-promotion">
            <option value="approval">approval: a person approves each challenger</option>
            <option value="auto">auto: a challenger that passes the gate becomes champion</option>
          </select>
        </div>
        {field('policy-expiry', 'Approval expires after (hours)', ['approval', 'expires_in_hours'], 'number')}
        {field('policy-target', 'Target precision of automatic decisions', ['training', 'settings', 'targetPrecision'], 'number', 'from 0 to 1; the next challenger chooses its threshold for it')}
        <div className="form-row">
          <label htmlFor="policy-schedule-trigger">
            <input id="policy-schedule-trigger" type="checkbox" checked={getIn(draft, ['triggers', 'schedule']) !== false} onChange={(e) => setDraft(setIn(draft, ['triggers', 'schedule'], e.target.checked))} data-testid="policy-triggers-schedule" /> Retrain at
            every scheduled check
          </label>
        </div>
        {field('policy-cooldown', 'Cooldown between runs (hours)', ['triggers', 'cooldown_hours'], 'number')}
        {drift ? field('policy-drift', `Drift trigger threshold (${String((drift as Json)['metric'])} ${String((drift as Json)['op'])})`, ['triggers', 'drift', 'threshold'], 'number') : null}
        {performance ? field('policy-performance', `Retrain below this ${String((performance as Json)['metric'])}`, ['triggers', 'performance', 'min'], 'number') : null}
        {field('policy-monitoring-cron', 'Monitoring schedule (cron; empty: none)', ['schedules', 'monitoring'], 'text')}
        {field('policy-check-cron', 'Retraining check schedule (cron; empty: none)', ['schedules', 'retraining_check'], 'text')}
        {field('policy-timezone', 'Time zone of the schedules', ['schedules', 'timezone'], 'text')}
        <div className="form-row">
          <button className="primary" type="submit" disabled={busy} data-testid="policy-save">
            Save the policy of {model}
          </button>
        </div>
      </form>
      <details>
        <summary>Edit the whole policy as JSON</summary>
        <label htmlFor="policy-json">Policy (its file form, snake_case)</label>
        <textarea id="policy-json" className="code" rows={16} value={json} onChange={(e) => setJson(e.target.value)} data-testid="policy-json" />
        <button
          onClick={() => {
            try {
              void save(JSON.parse(json) as unknown);
            } catch (e) {
              setError(new Error(`The JSON does not parse: ${describe(e)}`));
            }
          }}
          disabled={busy}
          data-testid="policy-json-save"
        >
          Save this JSON
        </button>
      </details>
      {saved ? (
        <div className="message" role="status" data-testid="policy-saved">
          {saved}
        </div>
      ) : null}
      <Failure error={error} testId="policy-error" />
    </div>
  );
}

function Policies(props: PageProps) {
  const { api, route } = props;
  const list = useLoad(() => api.get<{ policies: Array<Json & { model: string; updated_at: string; updated_by: string }> }>('/v1/policies'), [api]);
  const [chosen, setChosen] = useState<string | null>(route.query.get('model'));
  const model = chosen ?? list.data?.policies[0]?.model ?? null;
  const entry = useLoad(async () => (model === null ? null : api.get<PolicyEntry>(`/v1/policies/${seg(model)}`)), [api, model]);
  return (
    <section className="card" data-testid="policies">
      <h2>Retraining policies</h2>
      {list.error ? <div className="message error">{list.error}</div> : null}
      {list.data && list.data.policies.length === 0 ? (
        <p className="muted">No model has a retraining policy yet (`mloop policies set`).</p>
      ) : (
        <div className="form-row">
          <label htmlFor="policy-model">Model</label>
          <select id="policy-model" value={model ?? ''} onChange={(e) => setChosen(e.target.value)} data-testid="policy-model">
            {(list.data?.policies ?? []).map((p) => (
              <option key={p.model} value={p.model}>
                {p.model}
              </option>
            ))}
          </select>
        </div>
      )}
      {entry.error ? <div className="message error">{entry.error}</div> : null}
      {entry.data ? <PolicyEditor key={`${entry.data.policy.model}-${entry.data.updated_at}`} {...props} entry={entry.data} onSaved={list.reload} /> : null}
    </section>
  );
}

interface RuleDraft {
  name: string;
  model: string;
  metric: string;
  op: string;
  threshold: string;
  consecutive: string;
  window: string;
  webhook: string;
  removeWebhook: boolean;
  enabled: boolean;
}

const EMPTY_RULE: RuleDraft = { name: '', model: '', metric: 'performance.estimated_accuracy', op: '<', threshold: '', consecutive: '1', window: '7d', webhook: '', removeWebhook: false, enabled: true };

function RuleForm({ api, editing, onDone }: PageProps & { editing: Rule | null; onDone: (message: string) => void }) {
  const [d, setD] = useState<RuleDraft>(() =>
    editing
      ? { name: editing.name, model: editing.model, metric: editing.metric, op: editing.op, threshold: String(editing.threshold), consecutive: String(editing.consecutive), window: editing.window, webhook: '', removeWebhook: false, enabled: editing.enabled }
      : EMPTY_RULE,
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof RuleDraft) => (e: { target: { value: string } }) => setD({ ...d, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Json = { name: d.name.trim(), model: d.model.trim(), metric: d.metric.trim(), op: d.op, threshold: numberOrText(d.threshold), consecutive: numberOrText(d.consecutive), window: d.window.trim() };
    try {
      if (editing) {
        if (d.removeWebhook) body['webhook'] = null;
        else if (d.webhook.trim()) body['webhook'] = d.webhook.trim();
        body['enabled'] = d.enabled;
        await api.patch(`/v1/monitoring/rules/${seg(editing.id)}`, body);
        onDone(`Changed the alert rule ${d.name.trim()}.`);
      } else {
        if (d.webhook.trim()) body['webhook'] = d.webhook.trim();
        await api.post('/v1/monitoring/rules', body);
        onDone(`Added the alert rule ${d.name.trim()}.`);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const input = (k: keyof RuleDraft, label: string, hint?: string) => (
    <div className="form-row">
      <label htmlFor={`rule-${k}`}>{label}</label>
      <input id={`rule-${k}`} type="text" value={String(d[k])} onChange={set(k)} data-testid={`rule-${k}`} />
      {hint ? <span className="muted">{hint}</span> : null}
    </div>
  );
  return (
    <form className="form-grid" onSubmit={(e) => void submit(e)} data-testid="rule-form">
      <h3>{editing ? `Change the rule ${editing.name}` : 'Add an alert rule'}</h3>
      {input('name', 'Name', 'lowercase letters, digits, . _ -')}
      {input('model', 'Model', 'name, name@N or name@alias')}
      {input('metric', 'Metric', 'e.g. performance.estimated_accuracy, drift.share, prediction.review_share, drift.<feature>')}
      <div className="form-row">
        <label htmlFor="rule-op">Alert when the metric is</label>
        <select id="rule-op" value={d.op} onChange={set('op')} data-testid="rule-op">
          {OPS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      {input('threshold', 'Threshold')}
      {input('consecutive', 'Windows in a row')}
      {input('window', 'Window', '12h, 1d, 7d, 2w, or a number of predictions')}
      {input('webhook', editing ? 'New webhook URL (empty: keep the current one)' : 'Webhook URL (optional)')}
      {editing ? (
        <>
          <div className="form-row">
            <label htmlFor="rule-remove-webhook">
              <input id="rule-remove-webhook" type="checkbox" checked={d.removeWebhook} onChange={(e) => setD({ ...d, removeWebhook: e.target.checked })} /> Remove the webhook
            </label>
          </div>
          <div className="form-row">
            <label htmlFor="rule-enabled">
              <input id="rule-enabled" type="checkbox" checked={d.enabled} onChange={(e) => setD({ ...d, enabled: e.target.checked })} data-testid="rule-enabled" /> Enabled
            </label>
          </div>
        </>
      ) : null}
      <div className="form-row">
        <button className="primary" type="submit" disabled={busy} data-testid="rule-save">
          {editing ? 'Save the rule' : 'Add the rule'}
        </button>{' '}
        {editing ? (
          <button type="button" onClick={() => onDone('')} data-testid="rule-cancel">
            Cancel
          </button>
        ) : null}
      </div>
      <Failure error={error} testId="rule-error" />
    </form>
  );
}

function Rules(props: PageProps) {
  const { api } = props;
  const rules = useLoad(() => api.get<{ rules: Rule[] }>('/v1/monitoring/rules'), [api]);
  const [editing, setEditing] = useState<Rule | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formKey, setFormKey] = useState(0);
  const done = (m: string) => {
    setEditing(null);
    setFormKey(formKey + 1);
    setMessage(m || null);
    rules.reload();
  };
  const remove = async (rule: Rule) => {
    setError(null);
    try {
      await api.del(`/v1/monitoring/rules/${seg(rule.id)}`);
      setDeleting(null);
      done(`Deleted the alert rule ${rule.name}; its alerts stay in the history.`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="card" data-testid="rules">
      <h2>Alert rules</h2>
      {rules.error ? <div className="message error">{rules.error}</div> : null}
      <SortableTable
        testId="rules-table"
        rows={rules.data?.rules ?? []}
        rowKey={(r) => r.id}
        initial={{ key: 'name', order: 'asc' }}
        columns={[
          { key: 'name', title: 'rule', render: (r) => r.name, sort: (r) => r.name },
          { key: 'model', title: 'model', render: (r) => r.model, sort: (r) => r.model },
          { key: 'when', title: 'alert when', render: (r) => `${r.metric} ${r.op} ${r.threshold} in ${r.consecutive} window${r.consecutive === 1 ? '' : 's'} of ${r.window}` },
          { key: 'webhook', title: 'webhook', render: (r) => r.webhook ?? '—' },
          { key: 'enabled', title: 'on', render: (r) => (r.enabled ? 'yes' : 'no'), sort: (r) => (r.enabled ? 1 : 0) },
          {
            key: 'actions',
            title: '',
            render: (r) =>
              deleting?.id === r.id ? (
                <>
                  <button className="primary" onClick={() => void remove(r)} data-testid="rule-confirm-delete">
                    Delete {r.name}
                  </button>{' '}
                  <button onClick={() => setDeleting(null)}>Keep</button>
                </>
              ) : (
                <>
                  <button onClick={() => setEditing(r)} data-testid={`rule-edit-${r.name}`} aria-label={`Change the rule ${r.name}`}>
                    Change
                  </button>{' '}
                  <button onClick={() => setDeleting(r)} data-testid={`rule-delete-${r.name}`} aria-label={`Delete the rule ${r.name}`}>
                    Delete
                  </button>
                </>
              ),
          },
        ]}
      />
      {message ? (
        <div className="message" role="status" data-testid="rule-message">
          {message}
        </div>
      ) : null}
      <Failure error={error} testId="rule-delete-error" />
      <RuleForm key={editing ? `edit-${editing.id}` : `new-${formKey}`} {...props} editing={editing} onDone={done} />
    </section>
  );
}

function Tokens({ api, user, onChange }: PageProps & { user: string; onChange: (m: string) => void }) {
  const tokens = useLoad(() => api.get<{ tokens: TokenRow[] }>('/v1/tokens', { user }), [api, user]);
  const [error, setError] = useState<unknown>(null);
  const revoke = async (t: TokenRow) => {
    setError(null);
    try {
      await api.del(`/v1/tokens/${seg(t.id)}`);
      tokens.reload();
      onChange(`Revoked ${user}'s token ${t.name} (${t.prefix}…).`);
    } catch (e) {
      setError(e);
    }
  };
  if (tokens.error) return <div className="message error">{tokens.error}</div>;
  const live = (tokens.data?.tokens ?? []).filter((t) => t.revoked_at === null);
  return (
    <div data-testid={`tokens-${user}`}>
      {live.length === 0 ? <span className="muted">no live token</span> : null}
      <ul className="plain">
        {live.map((t) => (
          <li key={t.id}>
            {t.name} <code>{t.prefix}…</code> <span className="muted">used {time(t.last_used_at)}</span>{' '}
            <button onClick={() => void revoke(t)} data-testid={`revoke-${t.id}`} aria-label={`Revoke ${user}'s token ${t.name}`}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
      <Failure error={error} testId="token-error" />
    </div>
  );
}

function RolesEditor({ api, user, onDone }: PageProps & { user: UserRow; onDone: (m: string) => void }) {
  const [text, setText] = useState(roleText(user.roles));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        api
          .put<UserRow>(`/v1/users/${seg(user.name)}/roles`, { roles: splitRoles(text) })
          .then((u) => onDone(`${u.name} now holds: ${roleText(u.roles) || 'no role'}.`))
          .catch((err: unknown) => setError(err))
          .finally(() => setBusy(false));
      }}
    >
      <label htmlFor={`roles-${user.name}`}>Roles of {user.name}</label>
      <input id={`roles-${user.name}`} type="text" value={text} onChange={(e) => setText(e.target.value)} data-testid={`roles-input-${user.name}`} />
      <button className="primary" type="submit" disabled={busy} data-testid={`roles-save-${user.name}`}>
        Save roles
      </button>
      <Failure error={error} testId="roles-error" />
    </form>
  );
}

function Users(props: PageProps) {
  const { api } = props;
  const users = useLoad(() => api.get<{ users: UserRow[] }>('/v1/users'), [api]);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('viewer');
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [tokensOf, setTokensOf] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setMessage(null);
    try {
      const u = await api.post<UserRow>('/v1/users', { name: name.trim(), roles: splitRoles(roles) });
      setMessage(`Created ${u.name} (${roleText(u.roles) || 'no role'}). Give them a token: mloop token create --user ${u.name}`);
      setName('');
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" data-testid="users">
      <h2>Users</h2>
      {users.error ? <div className="message error">{users.error}</div> : null}
      <SortableTable
        testId="users-table"
        rows={users.data?.users ?? []}
        rowKey={(u) => u.id}
        initial={{ key: 'name', order: 'asc' }}
        columns={[
          { key: 'name', title: 'user', render: (u) => u.name, sort: (u) => u.name },
          {
            key: 'roles',
            title: 'roles',
            render: (u) =>
              editing === u.name ? (
                <RolesEditor
                  {...props}
                  user={u}
                  onDone={(m) => {
                    setEditing(null);
                    setMessage(m);
                    users.reload();
                  }}
                />
              ) : (
                <span data-testid={`roles-${u.name}`}>{roleText(u.roles) || '—'}</span>
              ),
          },
          { key: 'created', title: 'since', render: (u) => time(u.created_at), sort: (u) => u.created_at },
          { key: 'tokens', title: 'tokens', render: (u) => (tokensOf === u.name ? <Tokens {...props} user={u.name} onChange={setMessage} /> : null) },
          {
            key: 'actions',
            title: '',
            render: (u) => (
              <>
                <button onClick={() => setEditing(editing === u.name ? null : u.name)} data-testid={`roles-edit-${u.name}`} aria-label={`Change the roles of ${u.name}`}>
                  {editing === u.name ? 'Close' : 'Roles'}
                </button>{' '}
                <button onClick={() => setTokensOf(tokensOf === u.name ? null : u.name)} data-testid={`tokens-show-${u.name}`} aria-label={`Tokens of ${u.name}`}>
                  {tokensOf === u.name ? 'Hide tokens' : 'Tokens'}
                </button>
              </>
            ),
          },
        ]}
      />
      {message ? (
        <div className="message" role="status" data-testid="users-message">
          {message}
        </div>
      ) : null}
      <form className="form-grid" onSubmit={(e) => void create(e)} data-testid="user-form">
        <h3>Add a user</h3>
        <div className="form-row">
          <label htmlFor="user-name">Name</label>
          <input id="user-name" type="text" value={name} onChange={(e) => setName(e.target.value)} data-testid="user-name" />
        </div>
        <div className="form-row">
          <label htmlFor="user-roles">Roles (comma-separated)</label>
          <input id="user-roles" type="text" value={roles} onChange={(e) => setRoles(e.target.value)} data-testid="user-roles" />
          <span className="muted">{ROLE_HINT}</span>
        </div>
        <div className="form-row">
          <button className="primary" type="submit" data-testid="user-create">
            Add the user
          </button>
        </div>
        <Failure error={error} testId="user-error" />
      </form>
    </section>
  );
}

export function SettingsPage(props: PageProps) {
  const { can } = props;
  return (
    <>
      <h1>Settings</h1>
      {can('jobs:manage') ? <Policies {...props} /> : null}
      {can('monitoring:manage') ? <Rules {...props} /> : null}
      {can('users:manage') ? <Users {...props} /> : null}
    </>
  );
}
