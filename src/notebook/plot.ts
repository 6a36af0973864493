// Plots for notebook cells, built on plotly.js and working offline.
//
// The plotly.js bundle (node_modules/plotly.js-dist-min, ~4.8 MB) is sent into the page once per
// notebook, by setupPlots() in the setup cell (or by the first plot, if setup was skipped). Each plot
// is then a small <div> plus a <script> that calls Plotly.newPlot on it. Both are HTML outputs, so
// they render in JupyterLab and in an `nbconvert --to html` export with no internet. (tslab's
// display.svg comes out blank in the HTML export; SVG inside HTML renders, and that is what plotly
// draws.)
//
// Each chart comes twice: `lineChart(...)` shows it and returns nothing (tslab prints the value of a
// cell's last expression, and a returned HTML string would print as 20-90 KB of text under the plot);
// `lineChartHtml(...)` returns the HTML without showing it (tests, a chart extended later).
import { escapeHtml, scriptJson } from "../html";
import { plotlyBundle } from "../util/plotly";
import { showHtml } from "./display";

let bundleSent = false;

/** HTML that loads plotly.js into the page (once per notebook). */
export function plotlyBundleHtml(): string {
  return `<script type="text/javascript">${plotlyBundle()}</script><div style="font:12px monospace;color:#666">plotly.js loaded for this notebook's plots (offline)</div>`;
}

/** Sends the plotly.js bundle to the page. Call once, in the notebook's setup cell. */
export function setupPlots(): void {
  bundleSent = showHtml(plotlyBundleHtml());
}

let nextId = 0;

/** Plotly figure spec -> HTML fragment (a div and the script that draws into it). */
export function figureHtml(data: unknown[], layout: Record<string, unknown>): string {
  const id = `sf-plot-${process.pid}-${nextId++}`;
  const json = scriptJson; // "</script>" inside a title or a name must not end the element
  const config = { displaylogo: false, responsive: false, staticPlot: false };
  return [
    `<div id="${id}" class="sf-plot" style="width:${layout.width}px;height:${layout.height}px"></div>`,
    `<script type="text/javascript">(function () {`,
    `  var el = document.currentScript ? document.currentScript.previousElementSibling : document.getElementById(${json(id)});`,
    `  if (!window.Plotly) { el.textContent = "plotly.js is not loaded in this page: run the notebook's setup cell (setupPlots()) and then this cell again."; return; }`,
    `  window.Plotly.newPlot(el, ${json(data)}, ${json(layout)}, ${json(config)});`,
    `})();</script>`,
  ].join("\n");
}

/** Shows a figure's HTML; sends the bundle first if setupPlots() was never called in this kernel. */
export function showPlot(html: string): void {
  if (!bundleSent) setupPlots();
  showHtml(html);
}

/** Shows a figure (a plotly spec). */
export function showFigure(data: unknown[], layout: Record<string, unknown>): void {
  showPlot(figureHtml(data, layout));
}

const FONT = { family: "Helvetica, Arial, sans-serif", size: 12 };

export interface Series {
  name: string;
  /** Numbers, or strings for a categorical axis (one tick per value: stage names, classes). */
  x: readonly (number | string)[];
  y: readonly number[];
  /** plotly mode: "lines", "markers", "lines+markers" (default). */
  mode?: string;
}

export interface LineChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** Log-scale y axis. */
  logY?: boolean;
}

export function lineChartHtml(series: readonly Series[], opts: LineChartOptions = {}): string {
  const data = series.map((s) => ({ type: "scatter", name: s.name, x: s.x, y: s.y, mode: s.mode ?? "lines+markers" }));
  const layout = {
    title: { text: opts.title ?? "" },
    xaxis: { title: { text: opts.xTitle ?? "" } },
    yaxis: { title: { text: opts.yTitle ?? "" }, type: opts.logY ? "log" : "linear" },
    width: opts.width ?? 720,
    height: opts.height ?? 400,
    margin: { t: 50, r: 20, b: 50, l: 60 },
    legend: { orientation: "h", x: 0, y: -0.2, yanchor: "top" },
    font: FONT,
  };
  return figureHtml(data, layout);
}

export function lineChart(series: readonly Series[], opts: LineChartOptions = {}): void {
  showPlot(lineChartHtml(series, opts));
}

/** One panel of a grid: the traces of one subplot and its title. */
interface Panel {
  title: string;
  traces: Record<string, unknown>[];
  /** Pixel-like axes (images, feature maps): y grows downwards, equal aspect. */
  image: boolean;
}

/** Lays panels out in a rows x cols grid of subplots with a title above each. */
function gridFigure(panels: Panel[], cols: number, cell: number, title: string): string {
  const rows = Math.ceil(panels.length / cols);
  const gap = 0.02;
  const titleBand = 28; // pixels above each panel for its title
  const top = title ? 40 : 10;
  const height = top + rows * (cell + titleBand);
  const width = cols * cell + (cols - 1) * gap * cols * cell + 20;
  const data: unknown[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    width,
    height,
    margin: { t: top, r: 10, b: 10, l: 10 },
    font: FONT,
    showlegend: false,
    annotations: [] as unknown[],
  };
  const rowH = 1 / rows;
  panels.forEach((p, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const suffix = i === 0 ? "" : String(i + 1);
    const x0 = c / cols + gap / 2;
    const x1 = (c + 1) / cols - gap / 2;
    const y1 = 1 - r * rowH - (titleBand / (height - top - 10));
    const y0 = 1 - (r + 1) * rowH + gap / 2;
    layout[`xaxis${suffix}`] = { domain: [x0, x1], visible: false, anchor: `y${suffix}` };
    layout[`yaxis${suffix}`] = { domain: [y0, Math.max(y0 + 0.01, y1)], visible: false, anchor: `x${suffix}`, ...(p.image ? { autorange: "reversed", scaleanchor: `x${suffix}` } : {}) };
    for (const t of p.traces) data.push({ ...t, xaxis: `x${suffix}`, yaxis: `y${suffix}` });
    (layout.annotations as unknown[]).push({
      text: p.title,
      x: (x0 + x1) / 2,
      y: Math.max(y0 + 0.01, y1),
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
      font: { size: 11 },
    });
  });
  return figureHtml(data, layout);
}

export interface ImagePanel {
  /** data URL (pngDataUrl) of the image. */
  src: string;
  width: number;
  height: number;
  /** Caption; plotly accepts <b>, <br> and <span style="color:..."> in it. */
  title: string;
}

export interface GridOptions {
  title?: string;
  cols?: number;
  /** Pixel size of each panel. */
  cell?: number;
}

/** A grid of images (video frames). */
export function imageGrid(images: readonly ImagePanel[], opts: GridOptions = {}): void {
  showPlot(imageGridHtml(images, opts));
}

export function imageGridHtml(images: readonly ImagePanel[], opts: GridOptions = {}): string {
  const panels = images.map((im) => ({
    title: im.title,
    image: true,
    traces: [{ type: "image", source: im.src, hoverinfo: "skip" }],
  }));
  return gridFigure(panels, opts.cols ?? Math.min(8, images.length), opts.cell ?? 110, opts.title ?? "");
}

export interface HeatmapPanel {
  /** z[row][col] */
  z: readonly (readonly number[])[];
  title: string;
}

export interface HeatmapOptions extends GridOptions {
  /** A plotly colorscale name ("Viridis", "RdBu") or stops ([[0, "#eee"], [1, "#d62728"]]). */
  colorscale?: string | [number, string][];
  /** Pixels between cells (1 draws a grid). */
  gap?: number;
  /** Show one colour bar (single panel only). */
  colorbar?: boolean;
  /** Axis titles for a single heatmap. */
  xTitle?: string;
  yTitle?: string;
  /** Tick labels for a single heatmap. */
  x?: readonly (number | string)[];
  y?: readonly (number | string)[];
  /** Pixel-like axes (y downwards, equal aspect); default true for grids, false for one heatmap. */
  image?: boolean;
  /** Size of a single heatmap in pixels. */
  width?: number;
  height?: number;
}

/** One heatmap with axes (e.g. which frame each pathway sees). */
export function heatmap(z: readonly (readonly number[])[], opts: HeatmapOptions = {}): void {
  showPlot(heatmapHtml(z, opts));
}

export function heatmapHtml(z: readonly (readonly number[])[], opts: HeatmapOptions = {}): string {
  const data = [{ type: "heatmap", z, x: opts.x, y: opts.y, colorscale: opts.colorscale ?? "Viridis", showscale: opts.colorbar ?? true, xgap: opts.gap ?? 0, ygap: opts.gap ?? 0 }];
  const layout = {
    title: { text: opts.title ?? "" },
    xaxis: { title: { text: opts.xTitle ?? "" }, automargin: true, ...(opts.image ? { scaleanchor: "y" } : {}) },
    yaxis: { title: { text: opts.yTitle ?? "" }, automargin: true, ...(opts.image ? { autorange: "reversed" } : {}) },
    width: opts.width ?? 720,
    height: opts.height ?? 320,
    margin: { t: 50, r: 20, b: 50, l: 80 },
    font: FONT,
  };
  return figureHtml(data, layout);
}

/** A grid of heatmaps (feature maps: one channel of one frame each). */
export function heatmapGrid(maps: readonly HeatmapPanel[], opts: HeatmapOptions = {}): void {
  showPlot(heatmapGridHtml(maps, opts));
}

export function heatmapGridHtml(maps: readonly HeatmapPanel[], opts: HeatmapOptions = {}): string {
  const panels = maps.map((m) => ({
    title: m.title,
    image: opts.image ?? true,
    traces: [{ type: "heatmap", z: m.z, colorscale: opts.colorscale ?? "Viridis", showscale: false, hoverinfo: "z" }],
  }));
  return gridFigure(panels, opts.cols ?? Math.min(8, maps.length), opts.cell ?? 110, opts.title ?? "");
}

/** A short text caption under a plot (escaped). */
export function caption(text: string): void {
  showHtml(`<div style="font:12px Helvetica,Arial,sans-serif;color:#444;max-width:720px">${escapeHtml(text)}</div>`);
}
