/**
 * A uPlot chart. uPlot draws on a canvas and sizes elements through the CSSOM (element.style),
 * which the page's CSP (style-src 'self') allows; it injects no <style> elements.
 */
import { memo, useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLORS = ['#2456d6', '#d6452b', '#1f9d55', '#a05ad6', '#d69a24', '#3bb3c3'];

export interface ChartProps {
  title: string;
  data: AlignedData;
  series: Array<{ label: string; color?: string; dash?: number[]; points?: boolean; bars?: boolean }>;
  /** Dates (seconds since epoch) on x, or plain numbers. */
  time?: boolean;
  xLabel?: string;
  yLabel?: string;
  yRange?: [number, number];
  xRange?: [number, number];
  /** Tick labels for category bars (x = 0, 1, 2 …). */
  categories?: string[];
  height?: number;
  testId?: string;
}

function UPlotChart(props: ChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 560);
    const cats = props.categories;
    const opts: Options = {
      title: props.title,
      width,
      height: props.height ?? 240,
      scales: {
        x: { time: props.time ?? false, ...(props.xRange ? { range: props.xRange } : {}) },
        y: props.yRange ? { range: props.yRange } : {},
      },
      axes: [
        {
          label: props.xLabel ?? '',
          ...(cats ? { values: (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? (cats[v] ?? '') : '')), rotate: 0 } : {}),
        },
        { label: props.yLabel ?? '' },
      ],
      series: [
        { label: props.xLabel ?? (props.time ? 'time' : 'x') },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? COLORS[i % COLORS.length],
          width: 2,
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.points ? { points: { show: true, size: 9 }, paths: () => null } : {}),
          ...(s.bars ? { fill: `${s.color ?? COLORS[i % COLORS.length]}66`, paths: uPlot.paths.bars!({ size: [0.8 / props.series.length, 40], align: props.series.length === 1 ? 0 : i === 0 ? -1 : 1 }) } : {}),
          spanGaps: true,
        })),
      ],
      legend: { show: true },
    };
    const chart = new uPlot(opts, props.data, el);
    return () => chart.destroy();
  }, [props]);
  return <div className="chart" ref={ref} data-testid={props.testId ?? 'chart'} role="img" aria-label={props.title} />;
}

/** Props equal by value: arrays written inline by a page are new on every render of it. */
function sameProps(a: ChartProps, b: ChartProps): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof ChartProps>);
  for (const k of keys) if (a[k] !== b[k] && JSON.stringify(a[k]) !== JSON.stringify(b[k])) return false;
  return true;
}

/** The chart is drawn again only when what it shows changes, not on every render of its page. */
export const Chart = memo(UPlotChart, sameProps);
