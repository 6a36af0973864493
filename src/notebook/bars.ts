// Bar charts for notebook cells (plotly, offline like the charts in plot.ts): one bar per category
// and series, grouped or stacked. barChart shows it and returns nothing (see plot.ts);
// barChartHtml returns the HTML.
import { figureHtml, showPlot } from "./plot";

export interface BarSeries {
  name: string;
  /** One value per category. */
  y: readonly number[];
  /** CSS colour of the bars (default: plotly's next colour, which depends on the series' position). */
  color?: string;
}

/** One colour per part of SlowFast, so that a pathway keeps its colour from chart to chart. */
export const PATHWAY_COLORS = { slow: "#1f77b4", fast: "#ff7f0e", laterals: "#2ca02c", head: "#d62728", total: "#7f7f7f" } as const;

export interface BarChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Stack the series on each other (default: side by side). */
  stacked?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
}

export function barChart(categories: readonly string[], series: readonly BarSeries[], opts: BarChartOptions = {}): void {
  showPlot(barChartHtml(categories, series, opts));
}

export function barChartHtml(categories: readonly string[], series: readonly BarSeries[], opts: BarChartOptions = {}): string {
  for (const s of series) {
    if (s.y.length !== categories.length) throw new Error(`barChart: series "${s.name}" has ${s.y.length} values for ${categories.length} categories`);
  }
  const data = series.map((s) => ({ type: "bar", name: s.name, x: categories, y: s.y, ...(s.color ? { marker: { color: s.color } } : {}) }));
  const layout = {
    title: { text: opts.title ?? "" },
    barmode: opts.stacked ? "stack" : "group",
    xaxis: { title: { text: opts.xTitle ?? "" } },
    yaxis: { title: { text: opts.yTitle ?? "" }, type: opts.logY ? "log" : "linear" },
    width: opts.width ?? 720,
    height: opts.height ?? 360,
    margin: { t: 50, r: 20, b: 60, l: 70 },
    font: { family: "Helvetica, Arial, sans-serif", size: 12 },
  };
  return figureHtml(data, layout);
}
