/** `mloop data …`: import, list, show, lineage, validate, profile, redact, split, derive, export. */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { localPrincipal } from '../../auth/index.js';
import { loadSchemaFile, profileHtml, versionJson, type DatasetProfile, type LineageReport, type ValidationReport, type VersionJson } from '../../datasets/index.js';
import { MloopError } from '../../errors/index.js';
import { collect, parseIntOption } from '../options.js';
import { table } from '../context.js';
import type { Runner } from '../program.js';

interface ImportFlags {
  name: string;
  format?: string;
  text?: string[];
  label?: string[];
  id?: string[];
  time?: string[];
  sensitive?: string[];
  na?: string[];
  skipBadRows?: boolean;
  encoding?: string;
  owner?: string;
  licence?: string;
  description?: string;
  collectionPeriod?: string;
  sql?: string;
  databaseUrl?: string;
}

function showVersion(v: VersionJson, created?: boolean): string {
  const p = v.provenance;
  const src = p.source;
  const source =
    src.kind === 'file' || src.kind === 'upload'
      ? `${src.file} (${src.format}, sha256:${src.sha256.slice(0, 12)}…, ${src.bytes} bytes)`
      : src.kind === 'sql'
        ? `query on ${src.database}: ${src.query}`
        : `derived from ${v.lineage.parents.join(', ')}`;
  const lines = [
    `${v.ref}${created === undefined ? '' : created ? ' (new version)' : ' (identical content: existing version)'}`,
    `  rows         ${v.row_count}`,
    `  content      ${v.content_hash.slice(0, 16)}…  (parquet ${v.bytes} bytes, sha256:${v.blob_sha256.slice(0, 12)}…)`,
    `  source       ${source}`,
    `  imported     ${p.imported_at} by ${p.imported_by}`,
  ];
  if (p.owner) lines.push(`  owner        ${p.owner}`);
  if (p.licence) lines.push(`  licence      ${p.licence}`);
  if (p.description) lines.push(`  description  ${p.description}`);
  if (p.collection_period) lines.push(`  collected    ${p.collection_period}`);
  const skipped = Number(v.stats['skippedRows'] ?? 0);
  if (skipped > 0) lines.push(`  skipped      ${skipped} malformed rows`);
  lines.push(`  transform    ${JSON.stringify(v.lineage.transform)}`);
  lines.push('  columns:');
  lines.push(
    table(
      ['    name', 'type', 'physical', 'roles'],
      v.schema.map((c) => [`    ${c.name}`, c.type, c.physical_type, c.roles.join(',')]),
    ),
  );
  return lines.join('\n');
}

function showValidation(r: ValidationReport): string {
  const mark = { pass: 'ok  ', fail: 'FAIL', warn: 'warn' } as const;
  const lines = [`${r.ref}: ${r.passed ? 'passed' : 'FAILED'} (${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.warn} warnings, ${r.rows} rows${r.against ? `, against ${r.against}` : ''})`];
  for (const e of r.results) {
    const ex = e.examples.length > 0 ? `  e.g. ${e.examples.map((x) => JSON.stringify(x)).join(', ')}` : '';
    lines.push(`  ${mark[e.status]}  ${e.id}  expected ${JSON.stringify(e.expected)}, observed ${JSON.stringify(e.observed)}${ex}`);
  }
  return lines.join('\n');
}

function showProfile(p: DatasetProfile): string {
  const lines = [`${p.ref}: ${p.rows} rows, ${p.columns.length} columns, ${p.duplicates.rows} duplicate rows, ${p.pii.rowsWithPii} rows with PII`];
  lines.push(
    table(
      ['column', 'type', 'missing', 'distinct', 'summary', 'pii'],
      p.columns.map((c) => [
        c.name,
        c.type,
        `${c.missing} (${(c.missingRate * 100).toFixed(1)}%)`,
        c.distinct,
        c.mean !== undefined
          ? `min ${c.min} mean ${c.mean} max ${c.max}`
          : c.textLength && c.type === 'text'
            ? `length ${c.textLength.min}…${c.textLength.max} (mean ${c.textLength.mean})`
            : (c.topValues ?? []).slice(0, 3).map((t) => `${String(t.value)} ${t.count}`).join(', '),
        c.pii ? Object.entries(c.pii).map(([k, n]) => `${k} ${n}`).join(', ') : '',
      ]),
    ),
  );
  for (const n of p.nearDuplicates) lines.push(`near-duplicates in ${n.column}: ${n.rows} rows`);
  for (const l of p.labels) lines.push(`label ${l.column}: ${l.distribution.map((d) => `${String(d.value)} ${d.count} (${(d.share * 100).toFixed(1)}%)`).join(', ')}`);
  for (const c of p.coverage.filter((x) => x.flagged > 0)) {
    const flagged = c.slices.filter((s) => s.tooSmall || s.thinLabels.length > 0).map((s) => `${String(s.value)}${s.tooSmall ? ' (too few rows)' : ''}${s.thinLabels.length ? ` (few: ${s.thinLabels.join(', ')})` : ''}`);
    lines.push(`coverage of ${c.label} by ${c.slice}: ${c.flagged} slices flagged: ${flagged.slice(0, 8).join('; ')}${flagged.length > 8 ? '; …' : ''}`);
  }
  return lines.join('\n');
}

function showLineage(r: LineageReport, depth = 0): string {
  const pad = '  '.repeat(depth);
  const t = r.transform;
  const how = t.kind === 'import' || t.kind === 'sql-import' ? `${t.kind} of ${r.source.kind === 'sql' ? r.source.query : 'file' in r.source ? basename(r.source.file) : ''}` : `${t.kind} ${JSON.stringify(Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'kind')))}`;
  const lines = [`${pad}${r.ref}  ← ${how}`];
  if (depth === 0 && r.children.length > 0) lines.push(`${pad}  children: ${r.children.join(', ')}`);
  for (const p of r.parents) lines.push(showLineage(p, depth + 1));
  return lines.join('\n');
}

export function registerData(program: Command, run: Runner): void {
  const data = program.command('data').description('import, inspect, validate, profile and transform versioned datasets');

  data
    .command('import')
    .description('import a CSV, TSV, JSON Lines or Parquet file (or a PostgreSQL query) as a new dataset version')
    .argument('[file]', 'file to import (omit with --sql)')
    .requiredOption('--name <name>', 'dataset name (letters, digits, ".", "_", "-")')
    .option('--format <format>', 'csv, tsv, jsonl or parquet (default: from the extension)')
    .option('--text <cols>', 'free-text column(s)', collect)
    .option('--label <cols>', 'label column(s)', collect)
    .option('--id <cols>', 'identifier column(s)', collect)
    .option('--time <cols>', 'timestamp column(s)', collect)
    .option('--sensitive <cols>', 'sensitive attribute column(s): kept for fairness audits, never features unless asked', collect)
    .option('--na <values>', 'strings that mean missing, such as "?" (comma-separated, repeatable)', collect)
    .option('--skip-bad-rows', 'skip malformed rows (CSV/TSV: wrong field count or quoting; JSON Lines: not one JSON object) and count them instead of failing')
    .option('--encoding <encoding>', 'text encoding of CSV/TSV: utf-8, latin-1 or utf-16', 'utf-8')
    .option('--owner <owner>', 'data owner')
    .option('--licence <licence>', 'licence, such as CC-BY-4.0')
    .option('--description <text>', 'what the data is')
    .option('--collection-period <period>', 'when it was collected, such as 2026-01-01..2026-06-30')
    .option('--sql <query>', 'import the result of this query instead of a file')
    .option('--database-url <url>', 'PostgreSQL URL for --sql (credentials are never recorded)')
    .action(
      run(async (ctx, file: string | undefined, o: ImportFlags) => {
        const actor = localPrincipal().userName;
        const roles = { text: o.text, label: o.label, id: o.id, time: o.time, sensitive: o.sensitive };
        const provenance = { owner: o.owner, licence: o.licence, description: o.description, collectionPeriod: o.collectionPeriod };
        const r = await ctx.withDatasets(async (ws) => {
          if (o.sql !== undefined) {
            if (file !== undefined) throw MloopError.invalidArgument('give either a file or --sql, not both');
            return ws.datasets.importSql({ query: o.sql, databaseUrl: o.databaseUrl ?? '', name: o.name, roles, na: o.na, actor, ...provenance });
          }
          if (file === undefined) throw MloopError.invalidArgument('give a file to import, or --sql with --database-url');
          ctx.note(`importing ${file} …`);
          return ws.datasets.importFile({ file, name: o.name, format: o.format as never, roles, na: o.na, skipBadRows: o.skipBadRows === true, encoding: o.encoding, actor, ...provenance });
        });
        ctx.emit({ created: r.created, ...versionJson(r.version) }, (v) => showVersion(v, v.created));
      }),
    );

  data
    .command('list')
    .description('list datasets, or the versions of one')
    .argument('[name]', 'list the versions of this dataset')
    .action(
      run(async (ctx, name: string | undefined) => {
        if (name === undefined) {
          const list = await ctx.withDatasets((ws) => ws.datasets.list());
          const datasets = list.map((d) => ({ name: d.name, versions: d.versions, latest: `${d.name}@${d.latest}`, rows: d.latestRowCount, created_at: d.createdAt, updated_at: d.updatedAt }));
          ctx.emit({ datasets }, (r) => (r.datasets.length === 0 ? 'no datasets' : table(['name', 'versions', 'latest', 'rows', 'updated'], r.datasets.map((d) => [d.name, d.versions, d.latest, d.rows, d.updated_at]))));
          return;
        }
        const versions = (await ctx.withDatasets((ws) => ws.datasets.versions(name))).map(versionJson);
        ctx.emit({ versions }, (r) =>
          table(['ref', 'rows', 'source', 'imported', 'by'], r.versions.map((v) => [v.ref, v.row_count, v.lineage.transform.kind, v.provenance.imported_at, v.provenance.imported_by])),
        );
      }),
    );

  data
    .command('show')
    .description('show a version: provenance, schema and statistics')
    .argument('<ref>', 'name@N, or name for the latest version')
    .action(
      run(async (ctx, ref: string) => {
        const v = await ctx.withDatasets((ws) => ws.datasets.show(ref));
        ctx.emit(versionJson(v), (j) => showVersion(j));
      }),
    );

  data
    .command('validate')
    .description('check a version against expectations; exit code 1 when any fails')
    .argument('<ref>', 'name@N')
    .option('--schema <file>', 'expectations file (JSON, or YAML with .yaml/.yml); default: from the inferred schema and roles')
    .option('--against <ref>', 'also report schema changes from this version (removed, retyped, added columns, new categories)')
    .option('--recompute', 'check again even when this validation is kept in the workspace (and keep the new report)')
    .action(
      run(async (ctx, ref: string, o: { schema?: string; against?: string; recompute?: boolean }) => {
        const expectations = o.schema === undefined ? undefined : loadSchemaFile(o.schema);
        const r = await ctx.withDatasets((ws) => ws.datasets.validate(ref, { expectations, against: o.against, recompute: o.recompute === true }));
        if (!r.passed) ctx.exitCode = 1;
        ctx.emit(r, showValidation);
      }),
    );

  data
    .command('profile')
    .description('profile a version: statistics, duplicates, labels, coverage per slice, PII')
    .argument('<ref>', 'name@N')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--min-slice-rows <n>', 'flag slices with fewer rows', parseIntOption(1, 1_000_000), 30)
    .option('--min-label-rows <n>', 'flag labels with fewer examples in a slice', parseIntOption(1, 1_000_000), 5)
    .option('--slice <cols>', 'columns to check label coverage by (default: sensitive and small categorical columns); numbers are cut into quartiles', collect)
    .option('--recompute', 'profile again even when this profile is kept in the workspace (and keep the new one)')
    .action(
      run(async (ctx, ref: string, o: { html?: string; minSliceRows: number; minLabelRows: number; slice?: string[]; recompute?: boolean }) => {
        const p = await ctx.withDatasets((ws) =>
          ws.datasets.profile(ref, { minSliceRows: o.minSliceRows, minLabelRows: o.minLabelRows, ...(o.slice ? { sliceBy: o.slice } : {}), recompute: o.recompute === true }),
        );
        if (o.html !== undefined) {
          writeFileSync(o.html, profileHtml(p));
          ctx.note(`wrote ${o.html}`);
        }
        ctx.emit(p, showProfile);
      }),
    );

  data
    .command('redact')
    .description('write a new version with PII replaced by typed placeholders ([EMAIL], [PHONE], [CARD], …)')
    .argument('<ref>', 'name@N')
    .option('--columns <cols>', 'text columns to redact (default: every text column but identifiers)', collect)
    .option('--name <name>', 'dataset to write the version to (default: the same dataset)')
    .action(
      run(async (ctx, ref: string, o: { columns?: string[]; name?: string }) => {
        const r = await ctx.withDatasets((ws) => ws.datasets.redact(ref, { actor: localPrincipal().userName, columns: o.columns, target: o.name }));
        ctx.emit({ created: r.created, redacted: r.redacted, ...versionJson(r.version) }, (v) =>
          [`${v.ref}${v.created ? '' : ' (existing)'} ← redact ${v.lineage.parents.join(', ')}`, ...Object.entries(v.redacted).map(([c, k]) => `  ${c}: ${Object.entries(k).map(([t, n]) => `${t} ${n}`).join(', ')}`)].join('\n'),
        );
      }),
    );

  data
    .command('split')
    .description('split a version into child datasets <name>-train, -validation, -test (deterministic for a seed)')
    .argument('<ref>', 'name@N')
    .requiredOption('--by <method>', 'random, stratified (by the label) or time (by the time column)')
    .option('--ratios <list>', 'shares of the parts, adding up to 1', '0.8,0.1,0.1')
    .option('--seed <n>', 'seed of the assignment', parseIntOption(0, 2 ** 31 - 1), 0)
    .option('--names <list>', 'names of the parts (default train,validation,test or train,test)', collect)
    .option('--column <col>', 'label (stratified) or time (time) column, when not given by a role')
    .action(
      run(async (ctx, ref: string, o: { by: string; ratios: string; seed: number; names?: string[]; column?: string }) => {
        const parts = await ctx.withDatasets((ws) => ws.datasets.split(ref, { ...o, actor: localPrincipal().userName }));
        ctx.emit({ parts: parts.map((p) => ({ part: p.part, created: p.created, ...versionJson(p.version) })) }, (r) =>
          table(['part', 'version', 'rows', ''], r.parts.map((p) => [p.part, p.ref, p.row_count, p.created ? 'new' : 'existing'])),
        );
      }),
    );

  data
    .command('derive')
    .description('create a version from a SQL query over versions, written {name@N}')
    .requiredOption('--sql <query>', 'such as "SELECT * FROM {tickets@3} WHERE channel = \'email\'"')
    .requiredOption('--name <name>', 'dataset to write')
    .option('--description <text>', 'what the data is')
    .action(
      run(async (ctx, o: { sql: string; name: string; description?: string }) => {
        const r = await ctx.withDatasets((ws) => ws.datasets.derive({ ...o, actor: localPrincipal().userName }));
        ctx.emit({ created: r.created, ...versionJson(r.version) }, (v) => showVersion(v, v.created));
      }),
    );

  data
    .command('export')
    .description('write a version to a CSV, TSV, JSON Lines or Parquet file')
    .argument('<ref>', 'name@N')
    .requiredOption('--output <file>', 'file to write; the format follows the extension')
    .option('--force', 'replace the file if it exists')
    .action(
      run(async (ctx, ref: string, o: { output: string; force?: boolean }) => {
        const r = await ctx.withDatasets((ws) => ws.datasets.export(ref, o.output, { force: o.force === true }));
        ctx.emit(r, (x) => `wrote ${x.rows} rows of ${x.ref} to ${x.output} (${x.format})`);
      }),
    );

  data
    .command('lineage')
    .description('show where a version came from (parents and transforms) and its children')
    .argument('<ref>', 'name@N')
    .action(
      run(async (ctx, ref: string) => {
        const r = await ctx.withDatasets((ws) => ws.datasets.lineage(ref));
        ctx.emit(r, (l) => showLineage(l));
      }),
    );
}
