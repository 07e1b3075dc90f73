/** Builds uPlot's aligned data from separate (x, y) series: one sorted x axis, null where a series has no point. */
import type { AlignedData } from 'uplot';

export function align(series: Array<Array<[number, number | null]>>): AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const y: Array<number | null> = xs.map(() => null);
    for (const [x, v] of s) y[index.get(x)!] = v;
    return y;
  });
  return [xs, ...ys] as AlignedData;
}

/** ISO time → seconds since epoch (uPlot's time scale). */
export const secs = (iso: string) => Date.parse(iso) / 1000;
