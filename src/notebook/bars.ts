// Bar charts for notebook cells (plotly, offline like the charts in plot.ts): one bar per category
// and series, grouped or stacked. Returns the HTML it showed.
import { showFigure } from "./plot";

export interface BarSeries {
  name: string;
  /** One value per category. */
  y: readonly number[];
}

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

export function barChart(categories: readonly string[], series: readonly BarSeries[], opts: BarChartOptions = {}): string {
  for (const s of series) {
    if (s.y.length !== categories.length) throw new Error(`barChart: series "${s.name}" has ${s.y.length} values for ${categories.length} categories`);
  }
  const data = series.map((s) => ({ type: "bar", name: s.name, x: categories, y: s.y }));
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
  return showFigure(data, layout);
}
