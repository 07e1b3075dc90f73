/**
 * The mloop web app: sign in with a token (kept in this tab's sessionStorage only), then the pages
 * the token's roles allow, under hash routes. The server decides what each role may do
 * (GET /v1/dashboard/session); the navigation only shows what it allows, and every API call is
 * authorized again on the server. User-supplied text is always rendered as React text.
 */
import { useEffect, useMemo, useState, type ComponentType } from 'react';
import { Api, ApiError, seg, type Session } from './api';
import { describe } from './components/useLoad';
import { href, parseHash, useRoute, type Route } from './router';

/**
 * A page in its own chunk (an annotator's browser never loads the charts unless it opens a chart
 * page's address), loaded without React's Suspense: React 19 holds a Suspense boundary's content
 * back for 300 ms after its fallback showed, which every full load of a page paid. `preload`
 * starts the download before the session is known.
 */
function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>) {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const preload = () =>
    (pending ??= load().then(
      (c) => (loaded = c),
      (err: unknown) => {
        pending = null; // a failed chunk download may be retried by the next visit
        throw err;
      },
    ));
  function Page(props: P) {
    const [, setReady] = useState(loaded !== null);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      // Also when the chunk arrived between this render and the effect: render again then.
      let live = true;
      preload().then(
        () => live && setReady(true),
        (err: unknown) => live && setError(describe(err)),
      );
      return () => {
        live = false;
      };
    }, []);
    if (error) return <div className="message error">{error}</div>;
    if (!loaded) return <p>Loading…</p>;
    const Loaded = loaded;
    return <Loaded {...props} />;
  }
  return Object.assign(Page, { preload });
}

const DatasetsPage = lazyPage(() => import('./pages/Datasets').then((m) => m.DatasetsPage));
const LabelingPage = lazyPage(() => import('./pages/Labeling').then((m) => m.LabelingPage));
const ModelsPage = lazyPage(() => import('./pages/Models').then((m) => m.ModelsPage));
const MonitoringPage = lazyPage(() => import('./pages/Monitoring').then((m) => m.MonitoringPage));
const OverviewPage = lazyPage(() => import('./pages/Overview').then((m) => m.OverviewPage));
const RunsPage = lazyPage(() => import('./pages/Runs').then((m) => m.RunsPage));
const SettingsPage = lazyPage(() => import('./pages/Settings').then((m) => m.SettingsPage));
const PRELOAD: Record<string, () => Promise<unknown>> = {
  overview: OverviewPage.preload,
  datasets: DatasetsPage.preload,
  label: LabelingPage.preload,
  models: ModelsPage.preload,
  monitoring: MonitoringPage.preload,
  runs: RunsPage.preload,
  settings: SettingsPage.preload,
};

const TOKEN_KEY = 'mloop.token';

/**
 * The first GETs each page makes for an address, exactly as the page makes them (a GET that does
 * not match is only a wasted request: the page makes its own).
 */
const PREFETCH: Record<string, (api: Api, r: Route) => void> = {
  overview: (api) => api.prefetch('/v1/overview'),
  datasets: (api, r) => {
    const target = r.rest[0];
    if (!target) return api.prefetch('/v1/datasets');
    const at = target.lastIndexOf('@');
    const name = at > 0 ? target.slice(0, at) : target;
    api.prefetch(`/v1/datasets/${seg(name)}/versions`);
    if (at > 0) {
      api.prefetch(`/v1/datasets/${seg(target)}/lineage`);
      api.prefetch(`/v1/datasets/${seg(target)}/profile`);
      // Validated against the version before it: name@(N-1) unless versions are missing in between.
      const n = Number(target.slice(at + 1));
      if (Number.isInteger(n) && n >= 1) api.prefetch(`/v1/datasets/${seg(target)}/validation`, { against: n > 1 ? `${name}@${n - 1}` : undefined });
    }
  },
  models: (api, r) => {
    const model = r.rest[0];
    if (!model) return api.prefetch('/v1/models');
    api.prefetch(`/v1/models/${seg(model)}`);
    api.prefetch(`/v1/dashboard/models/${seg(model)}/compare`, { a: r.query.get('a') ?? undefined, b: r.query.get('b') ?? undefined });
    api.prefetch(`/v1/policies/${seg(model)}`);
  },
  monitoring: (api, r) => {
    const model = r.rest[0];
    if (!model) return api.prefetch('/v1/models');
    api.prefetch(`/v1/dashboard/models/${seg(model)}/traffic`, { days: 365 });
    api.prefetch(`/v1/dashboard/models/${seg(model)}/monitoring`);
  },
  runs: (api) => {
    api.prefetch('/v1/runs', { limit: 10, offset: 0 });
    api.prefetch('/v1/approvals', { limit: 200 });
    api.prefetch('/v1/models');
  },
};

/**
 * On a full load with a token, the session, the addressed page's chunk and its first data are asked
 * for at once, before React renders: the page then waits for the slowest, not for each in turn.
 */
let early: { token: string; session: Promise<Session> } | null = null;
{
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    const api = new Api(token);
    const route = parseHash(window.location.hash);
    early = { token, session: api.get<Session>('/v1/dashboard/session') };
    early.session.catch(() => undefined); // handled where it is used
    PRELOAD[route.page]?.().catch(() => undefined); // the page shows a failed download
    PREFETCH[route.page]?.(api, route);
  }
}

/** Route names, their titles and the session page that grants them. */
const PAGES = [
  { route: 'overview', title: 'Overview', page: 'overview' },
  { route: 'datasets', title: 'Datasets', page: 'datasets' },
  { route: 'label', title: 'Labeling', page: 'labeling' },
  { route: 'models', title: 'Models', page: 'models' },
  { route: 'monitoring', title: 'Monitoring', page: 'monitoring' },
  { route: 'runs', title: 'Runs & approvals', page: 'runs' },
  { route: 'settings', title: 'Settings', page: 'settings' },
] as const;

function SignIn({ onToken }: { onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="card signin">
      <h1>Sign in</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <label htmlFor="token">API token</label>
        <input id="token" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} placeholder="mlp_…" data-testid="token" autoFocus />
        <button className="primary" type="submit" data-testid="sign-in">
          Sign in
        </button>
      </form>
      <p className="progress">Ask your administrator for a token (`mloop token create --user you`). It is kept in this tab only.</p>
    </div>
  );
}

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const api = useMemo(() => (token ? new Api(token) : null), [token]);
  const route = useRoute();

  useEffect(() => {
    if (!api) return;
    const request = early?.token === token ? early.session : api.get<Session>('/v1/dashboard/session');
    early = null;
    request
      .then((s) => {
        setSession(s);
        setError(null);
      })
      .catch((err: unknown) => {
        setError(describe(err));
        if (err instanceof ApiError && err.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY);
          setToken(null);
        }
      });
  }, [api, token]);

  const signOut = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setSession(null);
  };

  const allowed = PAGES.filter((p) => session?.pages.includes(p.page));
  const current = allowed.find((p) => p.route === route.page) ?? (route.page === '' ? allowed[0] : undefined);
  const can = (action: string) => session?.actions.includes(action) ?? false;

  useEffect(() => {
    if (current) document.title = `${current.title} · mloop`;
  }, [current]);

  let content: React.ReactNode;
  if (!token || !api) {
    content = (
      <SignIn
        onToken={(t) => {
          sessionStorage.setItem(TOKEN_KEY, t);
          setToken(t);
        }}
      />
    );
  } else if (!session) {
    content = <p>Loading…</p>;
  } else if (!current) {
    content = (
      <div className="card" data-testid="not-allowed">
        {allowed.length === 0 ? 'Your roles give you no page here.' : `There is no page '${route.page}' for your roles.`}{' '}
        {allowed[0] ? <a href={href(allowed[0].route)}>Go to {allowed[0].title}</a> : null}
      </div>
    );
  } else {
    const args = { api, can, route };
    switch (current.route) {
      case 'overview':
        content = <OverviewPage {...args} />;
        break;
      case 'datasets':
        content = <DatasetsPage {...args} />;
        break;
      case 'label':
        content = <LabelingPage api={api} canReviewPredictions={session.global_actions.includes('review:answer')} />;
        break;
      case 'models':
        content = <ModelsPage {...args} />;
        break;
      case 'monitoring':
        content = <MonitoringPage {...args} />;
        break;
      case 'runs':
        content = <RunsPage {...args} />;
        break;
      case 'settings':
        content = <SettingsPage {...args} />;
        break;
    }
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header>
        <strong>mloop</strong>
        {session ? (
          <nav aria-label="pages" data-testid="nav">
            {allowed.map((p) => (
              <a key={p.route} href={href(p.route)} aria-current={p === current ? 'page' : undefined} data-testid={`nav-${p.route}`}>
                {p.title}
              </a>
            ))}
          </nav>
        ) : null}
        <span className="spacer" />
        {session ? (
          <span className="who" data-testid="who">
            {session.user} · {[...new Set(session.roles.map((r) => (r.scope === '*' ? r.role : `${r.role}:${r.scope}`)))].join(', ')}
          </span>
        ) : null}
        {token ? (
          <button onClick={signOut} data-testid="sign-out">
            Sign out
          </button>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {error ? <div className="message error">{error}</div> : null}
        {content}
      </main>
    </>
  );
}
