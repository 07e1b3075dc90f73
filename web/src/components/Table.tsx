/**
 * Tables: `SortableTable` sorts rows it holds; `ServerTable` asks the server for each page in the
 * chosen order (for long lists). Column headers are buttons, so sorting works by keyboard.
 */
import { useEffect, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  title: string;
  render: (row: T) => ReactNode;
  /** Value to sort by (client tables); omit for an unsortable column. */
  sort?: (row: T) => string | number | null;
  /** Server tables: the column is sortable on the server under this key. */
  serverSort?: boolean;
  numeric?: boolean;
}

function Header<T>({ columns, sort, order, onSort }: { columns: Column<T>[]; sort: string | null; order: 'asc' | 'desc'; onSort: (key: string) => void }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => {
          const sortable = c.sort !== undefined || c.serverSort === true;
          const active = sort === c.key;
          return (
            <th key={c.key} className={c.numeric ? 'num' : undefined} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
              {sortable ? (
                <button className="sort" onClick={() => onSort(c.key)}>
                  {c.title}
                  {active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                </button>
              ) : (
                c.title
              )}
            </th>
          );
        })}
      </tr>
    </thead>
  );
}

export function SortableTable<T>({ rows, columns, rowKey, testId, initial }: { rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; testId?: string; initial?: { key: string; order: 'asc' | 'desc' } }) {
  const [sort, setSort] = useState<string | null>(initial?.key ?? null);
  const [order, setOrder] = useState<'asc' | 'desc'>(initial?.order ?? 'asc');
  const col = columns.find((c) => c.key === sort);
  const sorted = col?.sort
    ? [...rows].sort((a, b) => {
        const x = col.sort!(a);
        const y = col.sort!(b);
        const r = x === y ? 0 : x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
        return order === 'asc' ? r : -r;
      })
    : rows;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <Header
          columns={columns}
          sort={sort}
          order={order}
          onSort={(k) => {
            setOrder(k === sort && order === 'asc' ? 'desc' : 'asc');
            setSort(k);
          }}
        />
        <tbody>
          {sorted.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key} className={c.numeric ? 'num' : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export interface Page<T> {
  total: number;
  rows: T[];
}

/** A table whose pages and order come from the server: `load(offset, limit, sort, order)`. */
export function ServerTable<T>({
  columns,
  rowKey,
  load,
  initialSort,
  pageSize = 20,
  testId,
}: {
  columns: Column<T>[];
  rowKey: (row: T) => string;
  load: (q: { offset: number; limit: number; sort: string; order: 'asc' | 'desc' }) => Promise<Page<T>>;
  initialSort: string;
  pageSize?: number;
  testId?: string;
}) {
  const [sort, setSort] = useState(initialSort);
  const [order, setOrder] = useState<'asc' | 'desc'>('desc');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    load({ offset, limit: pageSize, sort, order })
      .then((p) => live && (setPage(p), setError(null)))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [load, offset, pageSize, sort, order]);
  const total = page?.total ?? 0;
  return (
    <div className="table-wrap">
      {error ? <div className="message error">{error}</div> : null}
      <table data-testid={testId}>
        <Header
          columns={columns}
          sort={sort}
          order={order}
          onSort={(k) => {
            setOrder(k === sort && order === 'desc' ? 'asc' : 'desc');
            setSort(k);
            setOffset(0);
          }}
        />
        <tbody>
          {(page?.rows ?? []).map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key} className={c.numeric ? 'num' : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - pageSize))}>
          ← Previous
        </button>
        <span data-testid={testId ? `${testId}-range` : undefined}>
          {total === 0 ? 'nothing yet' : `${offset + 1}–${Math.min(total, offset + pageSize)} of ${total}`}
        </span>
        <button disabled={offset + pageSize >= total} onClick={() => setOffset(offset + pageSize)}>
          Next →
        </button>
      </div>
    </div>
  );
}
