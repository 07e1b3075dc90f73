/** Reading external answers: a CSV file with the columns item, worker and label. */
import { MloopError, type ValidationIssue } from '../errors/index.js';

/** Splits CSV text into rows (RFC 4180: quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** One external answer. */
export interface ExternalAnswer {
  item: string;
  worker: string;
  label: string;
}

const MAX_ISSUES = 20;

/**
 * Reads answers from CSV text with a header naming `item`, `worker` and `label` (any order, other
 * columns ignored). Every problem is reported as an issue with its line; none is skipped silently.
 */
export function parseAnswersCsv(text: string, source = 'answers.csv'): ExternalAnswer[] {
  const rows = parseCsv(text);
  const header = rows[0]?.map((h) => h.trim().toLowerCase()) ?? [];
  const col = { item: header.indexOf('item'), worker: header.indexOf('worker'), label: header.indexOf('label') };
  const missing = Object.entries(col)
    .filter(([, i]) => i < 0)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw MloopError.invalidArgument(
      `${source} lacks the column(s) ${missing.join(', ')}; its header must name item, worker and label`,
      {
        details: { header: rows[0] ?? [] },
      },
    );
  }
  const issues: ValidationIssue[] = [];
  const out: ExternalAnswer[] = [];
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r]!;
    const item = (cells[col.item] ?? '').trim();
    const worker = (cells[col.worker] ?? '').trim();
    const label = (cells[col.label] ?? '').trim();
    const bad = !item ? 'item' : !worker ? 'worker' : !label ? 'label' : null;
    if (bad !== null) {
      if (issues.length < MAX_ISSUES)
        issues.push({ path: `${source}:${r + 1}.${bad}`, code: 'missing_value', message: `line ${r + 1} has no ${bad}` });
      continue;
    }
    out.push({ item, worker, label });
  }
  if (issues.length > 0)
    throw MloopError.validation(
      `${source} has ${issues.length === MAX_ISSUES ? 'at least ' : ''}${issues.length} bad line(s)`,
      issues,
    );
  return out;
}
