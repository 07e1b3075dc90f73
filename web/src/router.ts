/** Hash routing: `#/models/support-router?tab=x` → { page: 'models', rest: ['support-router'], query }. */
import { useEffect, useState } from 'react';

export interface Route {
  page: string;
  rest: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', q = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  return { page: parts[0] ?? '', rest: parts.slice(1), query: new URLSearchParams(q) };
}

/** The link to a page: `href('models', 'support-router')`. */
export const href = (...parts: string[]) => `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
