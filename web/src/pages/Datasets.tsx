/**
 * Datasets: every dataset, its versions with provenance, the lineage graph (parent versions, and
 * the labeling projects and model versions that use a version), the profile (distributions,
 * missing values, PII counts, label coverage per slice) and validation results.
 */
import { useMemo } from 'react';
import { seg } from '../api';
import { Chart } from '../components/Chart';
import { day, int, pct, time } from '../components/format';
import { SortableTable } from '../components/Table';
import { useLoad } from '../components/useLoad';
import { href } from '../router';
import type { PageProps } from './types';

interface DatasetSummary {
  name: string;
  versions: number;
  latest: string;
  rows: number;
  updated_at: string;
}
interface Version {
  ref: string;
  version: number;
  row_count: number;
  bytes: number;
  content_hash: string;
  provenance: { source: Record<string, unknown>; owner?: string | null; licence?: string | null; description?: string | null; collection_period?: string | null; imported_by: string; imported_at: string };
  lineage: { parents: string[]; transform: Record<string, unknown> };
}
interface LineageNode {
  ref: string;
  source: Record<string, unknown>;
  transform: Record<string, unknown>;
  parents: LineageNode[];
  children: string[];
}
interface Profile {
  rows: number;
  columns: Array<{ name: string; type: string; roles: string[]; missing: number; missingRate: number; distinct: number; topValues?: Array<{ value: unknown; count: number }>; pii?: Record<string, number> }>;
  labels: Array<{ column: string; distribution: Array<{ value: unknown; count: number; share: number }> }>;
  coverage: Array<{ label: string; slice: string; slices: Array<{ value: unknown; rows: number; thinLabels: string[]; tooSmall: boolean }> }>;
  pii: { rowsWithPii: number; byColumn: Record<string, Record<string, number>> };
  duplicates?: unknown;
  nearDuplicates: Array<{ column: string; rows: number; rate: number }>;
}
interface Validation {
  passed: boolean;
  against: string | null;
  counts: { pass: number; fail: number; warn: number };
  results: Array<{ id: string; status: string; expected: unknown; observed: unknown; offending: number }>;
}

function transformText(t: Record<string, unknown>): string {
  switch (t['kind']) {
    case 'derive':
      return `SQL: ${String(t['sql'])}`;
    case 'split':
      return `split ${String(t['by'])} ${JSON.stringify(t['ratios'])} seed ${String(t['seed'])}, part '${String(t['part'])}'`;
    case 'redact':
      return `PII redacted in ${(t['columns'] as string[] | undefined)?.join(', ') ?? '—'} (${String(t['detectors'])})`;
    case 'import':
      return `imported (${String(t['format'])})`;
    default:
      return String(t['kind'] ?? '—');
  }
}

function sourceText(s: Record<string, unknown>): string {
  if (s['kind'] === 'file' || s['kind'] === 'upload') return `${String(s['kind'])} ${String(s['file'])} (sha256 ${String(s['sha256']).slice(0, 12)}…)`;
  if (s['kind'] === 'sql') return `SQL on ${String(s['database'])}`;
  return 'derived from its parents';
}

function Tree({ node }: { node: LineageNode }) {
  return (
    <li>
      <a href={href('datasets', node.ref)}>{node.ref}</a> <span className="muted">— {node.parents.length === 0 ? sourceText(node.source) : transformText(node.transform)}</span>
      {node.parents.length > 0 ? (
        <ul className="tree">
          {node.parents.map((p) => (
            <Tree key={p.ref} node={p} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

function UsedBy({ api, can, ref_ }: PageProps & { ref_: string }) {
  const { data } = useLoad(async () => {
    const projects = await api
      .get<{ projects: Array<{ name: string; dataset?: string }> }>('/v1/labeling/projects')
      .then((r) => r.projects.filter((p) => p.dataset === ref_).map((p) => p.name))
      .catch(() => [] as string[]);
    const models: string[] = [];
    if (can('models:read')) {
      const list = await api.get<{ models: Array<{ name: string }> }>('/v1/models');
      for (const m of list.models) {
        const detail = await api.get<{ versions: Array<{ ref: string; record: { datasets: string[]; evaluationDataset?: string } }> }>(`/v1/models/${seg(m.name)}`);
        for (const v of detail.versions) if (v.record.datasets.includes(ref_) || v.record.evaluationDataset === ref_) models.push(`${v.ref}${v.record.datasets.includes(ref_) ? ' (trained on it)' : ' (validated on it)'}`);
      }
    }
    return { projects, models };
  }, [api, ref_]);
  if (!data) return null;
  return (
    <ul className="tree" data-testid="used-by">
      {data.projects.map((p) => (
        <li key={p}>
          labeling project <a href={href('label')}>{p}</a>
        </li>
      ))}
      {data.models.map((m) => (
        <li key={m}>
          model <a href={href('models', m.split('@')[0]!)}>{m}</a>
        </li>
      ))}
      {data.projects.length + data.models.length === 0 ? <li className="muted">no labeling project or model uses this version</li> : null}
    </ul>
  );
}

function VersionDetail(props: PageProps & { version: Version; previous: string | null }) {
  const { api, version } = props;
  const ref = version.ref;
  const lineage = useLoad(() => api.get<LineageNode>(`/v1/datasets/${seg(ref)}/lineage`), [api, ref]);
  // The datasets service keeps a version's profile and validation once computed (a version never changes).
  const profile = useLoad(() => api.get<Profile>(`/v1/datasets/${seg(ref)}/profile`), [api, ref]);
  const validation = useLoad(() => api.get<Validation>(`/v1/datasets/${seg(ref)}/validation`, { against: props.previous ?? undefined }), [api, ref, props.previous]);
  const p = profile.data;
  const labelChart = useMemo(() => {
    const dist = p?.labels[0]?.distribution ?? [];
    return { cats: dist.map((d) => String(d.value)), data: [dist.map((_, i) => i), dist.map((d) => d.count)] as [number[], number[]] };
  }, [p]);
  const pv = version.provenance;
  return (
    <>
      <section className="card" data-testid="provenance">
        <h2>{ref}</h2>
        <dl className="facts">
          <dt>Source</dt>
          <dd>{sourceText(pv.source)}</dd>
          <dt>Made by</dt>
          <dd>{transformText(version.lineage.transform)}</dd>
          <dt>Imported</dt>
          <dd>
            {time(pv.imported_at)} by {pv.imported_by}
          </dd>
          <dt>Owner · licence</dt>
          <dd>
            {pv.owner ?? '—'} · {pv.licence ?? '—'}
          </dd>
          <dt>Collected</dt>
          <dd>{pv.collection_period ?? '—'}</dd>
          <dt>Description</dt>
          <dd>{pv.description ?? '—'}</dd>
          <dt>Content</dt>
          <dd>
            {int(version.row_count)} rows, {int(version.bytes)} bytes, hash {version.content_hash.slice(0, 16)}…
          </dd>
        </dl>
      </section>
      <section className="card">
        <h2>Lineage</h2>
        {lineage.data ? (
          <div className="grid2">
            <div>
              <h3>Made from</h3>
              <ul className="tree" data-testid="lineage">
                <Tree node={lineage.data} />
              </ul>
            </div>
            <div>
              <h3>Used by</h3>
              <ul className="tree">
                {lineage.data.children.map((c) => (
                  <li key={c}>
                    dataset <a href={href('datasets', c)}>{c}</a>
                  </li>
                ))}
              </ul>
              <UsedBy {...props} ref_={ref} />
            </div>
          </div>
        ) : (
          <p>{lineage.error ?? 'Loading…'}</p>
        )}
      </section>
      <section className="card">
        <h2>Profile</h2>
        {!p ? (
          <p>{profile.error ?? 'Loading…'}</p>
        ) : (
          <>
            <div className="kpis">
              <div className="kpi">
                <span className="kpi-label">Rows</span>
                <span className="kpi-value">{int(p.rows)}</span>
              </div>
              <div className="kpi">
                <span className="kpi-label">Rows with PII</span>
                <span className="kpi-value" data-testid="pii-rows">
                  {int(p.pii.rowsWithPii)}
                </span>
                <span className="kpi-note">
                  {Object.entries(p.pii.byColumn)
                    .map(([c, kinds]) => `${c}: ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`)
                    .join('; ') || 'none found'}
                </span>
              </div>
              <div className="kpi">
                <span className="kpi-label">Near-duplicates</span>
                <span className="kpi-value">{p.nearDuplicates.map((n) => `${n.column} ${pct(n.rate)}`).join(', ') || 'none'}</span>
              </div>
            </div>
            {labelChart.cats.length > 0 ? (
              <Chart title={`Label distribution (${p.labels[0]!.column})`} testId="label-chart" data={labelChart.data} categories={labelChart.cats} series={[{ label: 'rows', bars: true }]} height={260} />
            ) : null}
            <h3>Columns</h3>
            <SortableTable
              testId="profile-columns"
              rows={p.columns}
              rowKey={(c) => c.name}
              columns={[
                { key: 'name', title: 'column', render: (c) => c.name, sort: (c) => c.name },
                { key: 'type', title: 'type', render: (c) => `${c.type}${c.roles.length ? ` (${c.roles.join(', ')})` : ''}`, sort: (c) => c.type },
                { key: 'missing', title: 'missing', render: (c) => `${int(c.missing)} (${pct(c.missingRate)})`, sort: (c) => c.missingRate, numeric: true },
                { key: 'distinct', title: 'distinct', render: (c) => int(c.distinct), sort: (c) => c.distinct, numeric: true },
                { key: 'top', title: 'most frequent', render: (c) => (c.topValues ?? []).slice(0, 3).map((t) => `${String(t.value)} (${t.count})`).join(', ') },
                { key: 'pii', title: 'PII', render: (c) => (c.pii ? Object.entries(c.pii).map(([k, n]) => `${k} ${n}`).join(', ') : '') },
              ]}
            />
            <h3>Label coverage per slice</h3>
            {p.coverage.map((c) => (
              <div key={`${c.label}-${c.slice}`}>
                <h4>
                  {c.label} by {c.slice}
                </h4>
                <SortableTable
                  testId={`coverage-${c.slice}`}
                  rows={c.slices}
                  rowKey={(s) => String(s.value)}
                  columns={[
                    { key: 'value', title: c.slice, render: (s) => String(s.value), sort: (s) => String(s.value) },
                    { key: 'rows', title: 'rows', render: (s) => int(s.rows), sort: (s) => s.rows, numeric: true },
                    { key: 'thin', title: 'labels with too few rows', render: (s) => (s.tooSmall ? 'slice too small' : s.thinLabels.join(', ') || 'none'), sort: (s) => s.thinLabels.length },
                  ]}
                />
              </div>
            ))}
          </>
        )}
      </section>
      <section className="card">
        <h2>Validation{validation.data?.against ? ` against ${validation.data.against}` : ''}</h2>
        {!validation.data ? (
          <p>{validation.error ?? 'Loading…'}</p>
        ) : (
          <>
            <p className={validation.data.passed ? 'badge good' : 'badge bad'} data-testid="validation">
              {validation.data.passed ? 'passed' : 'failed'}: {validation.data.counts.pass} passed, {validation.data.counts.fail} failed, {validation.data.counts.warn} warnings
            </p>
            <SortableTable
              rows={validation.data.results}
              rowKey={(r) => r.id}
              initial={{ key: 'status', order: 'asc' }}
              columns={[
                { key: 'id', title: 'expectation', render: (r) => r.id, sort: (r) => r.id },
                { key: 'status', title: 'status', render: (r) => <span className={r.status === 'pass' ? 'badge good' : 'badge bad'}>{r.status}</span>, sort: (r) => r.status },
                { key: 'expected', title: 'expected', render: (r) => JSON.stringify(r.expected) },
                { key: 'observed', title: 'observed', render: (r) => JSON.stringify(r.observed) },
              ]}
            />
          </>
        )}
      </section>
    </>
  );
}

function DatasetDetail(props: PageProps & { name: string; ref_: string | null }) {
  const { api, name } = props;
  const { data, error } = useLoad(() => api.get<{ versions: Version[] }>(`/v1/datasets/${seg(name)}/versions`), [api, name]);
  if (error) return <div className="message error">{error}</div>;
  if (!data) return <p>Loading…</p>;
  const selected = data.versions.find((v) => v.ref === props.ref_) ?? data.versions.at(-1);
  const previous = selected ? (data.versions.filter((v) => v.version < selected.version).at(-1)?.ref ?? null) : null;
  return (
    <>
      <h1>
        <a href={href('datasets')}>Datasets</a> · {name}
      </h1>
      <SortableTable
        testId="dataset-versions"
        rows={data.versions}
        rowKey={(v) => v.ref}
        initial={{ key: 'version', order: 'desc' }}
        columns={[
          { key: 'version', title: 'version', render: (v) => (v.ref === selected?.ref ? <strong>{v.ref}</strong> : <a href={href('datasets', v.ref)}>{v.ref}</a>), sort: (v) => v.version, numeric: true },
          { key: 'rows', title: 'rows', render: (v) => int(v.row_count), sort: (v) => v.row_count, numeric: true },
          { key: 'made', title: 'made by', render: (v) => transformText(v.lineage.transform) },
          { key: 'by', title: 'by', render: (v) => `${v.provenance.imported_by}, ${day(v.provenance.imported_at)}`, sort: (v) => v.provenance.imported_at },
        ]}
      />
      {selected ? <VersionDetail {...props} version={selected} previous={previous} /> : null}
    </>
  );
}

export function DatasetsPage(props: PageProps) {
  const target = props.route.rest[0];
  if (target) {
    const at = target.lastIndexOf('@');
    return <DatasetDetail {...props} name={at > 0 ? target.slice(0, at) : target} ref_={at > 0 ? target : null} />;
  }
  return <DatasetList {...props} />;
}

function DatasetList({ api }: PageProps) {
  const list = useLoad(() => api.get<{ datasets: DatasetSummary[] }>('/v1/datasets'), [api]);
  return (
    <>
      <h1>Datasets</h1>
      {list.error ? <div className="message error">{list.error}</div> : null}
      {list.data ? (
        <SortableTable
          testId="datasets-table"
          rows={list.data.datasets}
          rowKey={(d) => d.name}
          columns={[
            { key: 'name', title: 'dataset', render: (d) => <a href={href('datasets', d.name)}>{d.name}</a>, sort: (d) => d.name },
            { key: 'versions', title: 'versions', render: (d) => d.versions, sort: (d) => d.versions, numeric: true },
            { key: 'latest', title: 'latest', render: (d) => d.latest },
            { key: 'rows', title: 'rows (latest)', render: (d) => int(d.rows), sort: (d) => d.rows, numeric: true },
            { key: 'updated', title: 'updated', render: (d) => time(d.updated_at), sort: (d) => d.updated_at },
          ]}
        />
      ) : (
        <p>Loading…</p>
      )}
    </>
  );
}
