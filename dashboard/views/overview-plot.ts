/**
 * The Overview's rate plot: events published and delivered per second, drawn by uPlot on a
 * canvas. A canvas says nothing to a screen reader, so the plot sits in a `figure` whose
 * `aria-label` names it and whose caption states the current rates in words.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from '../ui.js';

/** The per-second series of `GET /v1/stats` (`rates`). */
export interface RateSeries {
  /** The unix second of the first element. */
  start: number;
  published: number[];
  delivered: number[];
}

const PUBLISHED = '#0b57d0';
const DELIVERED = '#b3261e';

/** The page's text colour, so the axes stay readable in dark mode. */
function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

/** The series as uPlot's columns: the seconds, then published, then delivered. */
function columns(rates: RateSeries): uPlot.AlignedData {
  const xs = rates.published.map((_, i) => rates.start + i);
  return [xs, rates.published, rates.delivered];
}

/**
 * Events per second over the window, published and delivered, as one uPlot chart that follows
 * its container's width. `summary` is the caption: the rates in words.
 *
 * @example
 * ```ts
 * html`<${RatePlot} rates=${stats.rates} label="Events per second, last 5 min" summary="Now: 3/s published" />`;
 * ```
 */
export function RatePlot({ rates, label, summary }: { rates: RateSeries; label: string; summary: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const fg = cssVar('--fg', '#1b1b1b');
    const grid = cssVar('--line', '#ddd');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const chart = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 220,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [axis, { ...axis, size: 56 }],
        series: [
          {},
          { label: 'published/s', stroke: PUBLISHED, width: 1.5, points: { show: false } },
          { label: 'delivered/s', stroke: DELIVERED, width: 1.5, dash: [6, 3], points: { show: false } },
        ],
      },
      columns(rates),
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, el.clientWidth), height: 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(columns(rates));
  }, [rates]);

  return html`<figure class="rate-plot" data-testid="rate-plot">
    <div ref=${box} role="img" aria-label=${label} aria-describedby="rate-summary"></div>
    <figcaption id="rate-summary" data-testid="rate-summary">${summary}</figcaption>
  </figure>`;
}
