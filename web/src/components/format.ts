/** Number and time formatting shared by the pages. */
export const pct = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(digits)}%`);
export const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
export const int = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toLocaleString('en-US'));
export const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '—');
export const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '—');
/** An estimate with its interval, e.g. `91.2% (89.0–93.1)`. */
export function withCi(e: { value?: number | null; lower?: number | null; upper?: number | null } | null | undefined, asPct = true): string {
  if (!e || e.value === null || e.value === undefined) return '—';
  const f = (v: number) => (asPct ? (v * 100).toFixed(1) : v.toFixed(3));
  const body = asPct ? `${f(e.value)}%` : f(e.value);
  return e.lower !== null && e.lower !== undefined && e.upper !== null && e.upper !== undefined ? `${body} (${f(e.lower)}–${f(e.upper)})` : body;
}
