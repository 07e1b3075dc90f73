/** A small client for the mloop API. Every error carries the server's code and message. */

export interface ProjectSummary {
  name: string;
  labels: string[];
  show_columns: string[];
  overlap: number;
  instructions: string;
  can: { annotate: boolean; review: boolean; manage: boolean };
}

export interface ServedItem {
  assignment: { id: string; lease_token: string; expires_at: string };
  data: Record<string, string | number | null>;
}

export interface Progress {
  state: 'active' | 'paused';
  answered: number;
  skipped: number;
  available: number;
  project_items: number;
  project_complete: number;
}

export interface QueueEntry {
  item: string;
  label: string;
  confidence: number;
  answers: number;
}

export interface ReviewItem {
  item: string;
  data: Record<string, string | number | null>;
  answers: Array<{ worker: string; label: string; flagged: boolean }>;
  consensus: { label: string; confidence: number; method: string } | null;
  decision: { label: string; reviewer: string; note: string } | null;
}

export interface Session {
  user: string;
  roles: Array<{ role: string; scope: string }>;
  actions: string[];
  /** Actions a global grant allows: routes that name no project need one. */
  global_actions: string[];
  pages: string[];
}

/** Encodes one path segment. */
export const seg = (s: string | number) => encodeURIComponent(String(s));

/** One problem of a refused document (a policy, say), as the server lists it in `error.details.issues`. */
export interface Issue {
  path: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

/** How long a GET started ahead of its page may still be taken by it. */
const PREFETCH_MS = 10_000;
/** GETs started before React renders (on a full load), by token and URL; the page's own GET takes one once. */
const prefetched = new Map<string, { at: number; answer: Promise<unknown> }>();

function url(path: string, query: Query): string {
  const q = Object.entries(query).filter(([, v]) => v !== undefined);
  return q.length ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}` : path;
}

export class Api {
  constructor(private readonly token: string) {}

  /** GET a JSON document; `query` values that are undefined are left out. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    const u = url(path, query);
    const key = `${this.token} ${u}`;
    const early = prefetched.get(key);
    if (early) {
      prefetched.delete(key);
      if (Date.now() - early.at < PREFETCH_MS) return early.answer as Promise<T>;
    }
    return this.call<T>('GET', u);
  }

  /**
   * Starts a GET that the page about to render will make (same path and query), so that it is under
   * way while the page's code downloads; the page's `get` takes the answer, once, within 10 s.
   */
  prefetch(path: string, query: Query = {}): void {
    const u = url(path, query);
    const answer = this.call('GET', u);
    answer.catch(() => undefined); // the page sees the error when it takes the answer
    prefetched.set(`${this.token} ${u}`, { at: Date.now(), answer });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }
  del<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: 'omit',
      cache: 'no-store',
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: { issues?: Issue[] } } };
    if (!res.ok)
      throw new ApiError(res.status, json.error?.code ?? 'INTERNAL', json.error?.message ?? `request failed (${res.status})`, Array.isArray(json.error?.details?.issues) ? json.error.details.issues : []);
    return json as T;
  }

  projects() {
    return this.call<{ projects: ProjectSummary[] }>('GET', '/v1/labeling/projects');
  }
  next(project: string) {
    return this.call<{ item: ServedItem | null; progress: Progress }>(
      'POST',
      `/v1/labeling/projects/${encodeURIComponent(project)}/next`,
    );
  }
  answer(project: string, item: ServedItem, label: string) {
    return this.call<{ recorded: true }>(
      'POST',
      `/v1/labeling/projects/${encodeURIComponent(project)}/assignments/${encodeURIComponent(item.assignment.id)}/answer`,
      { label, lease_token: item.assignment.lease_token },
    );
  }
  skip(project: string, item: ServedItem) {
    return this.call<{ skipped: true }>(
      'POST',
      `/v1/labeling/projects/${encodeURIComponent(project)}/assignments/${encodeURIComponent(item.assignment.id)}/skip`,
      { lease_token: item.assignment.lease_token },
    );
  }
  queue(project: string) {
    return this.call<{ threshold: number; method: string; items: QueueEntry[] }>(
      'GET',
      `/v1/labeling/projects/${encodeURIComponent(project)}/adjudications`,
    );
  }
  item(project: string, item: string) {
    return this.call<ReviewItem>('GET', `/v1/labeling/projects/${encodeURIComponent(project)}/items/${encodeURIComponent(item)}`);
  }
  decide(project: string, item: string, label: string, note: string) {
    return this.call<unknown>(
      'POST',
      `/v1/labeling/projects/${encodeURIComponent(project)}/items/${encodeURIComponent(item)}/decision`,
      { label, note },
    );
  }
}
