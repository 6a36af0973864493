// The plotly.js bundle (node_modules/plotly.js-dist-min, ~4.8 MB) for pages that inline it so they
// draw offline: the run report (train/report.ts) and notebook plots (notebook/plot.ts).
import { readFileSync } from "node:fs";

/** The source of plotly.min.js, to put inside a <script> element (read from disk on each call). */
export function plotlyBundle(): string {
  return readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
}
