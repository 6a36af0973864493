// The run report: one self-contained HTML page (plotly.js inlined, so it opens offline) with the
// loss and accuracy curves per epoch, the test confusion matrix and the final metrics. Every name
// from the data set is escaped (html.ts): as text in the page, as JSON inside the plots' script.
import type { EvalResult } from "./evaluate";
import type { EpochMetrics } from "./metrics";
import { escapeHtml, scriptJson } from "../html";
import { plotlyBundle } from "../util/plotly";
import { writeFileAtomic } from "./atomic";

export interface ReportInput {
  title: string;
  /** Lines shown under the title (backend, preset, data, timings). */
  facts: string[];
  metrics: EpochMetrics[];
  test: EvalResult;
  classes: string[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function figures(r: ReportInput): { id: string; data: unknown[]; layout: Record<string, unknown> }[] {
  const epochs = r.metrics.map((m) => m.epoch);
  const withVal = r.metrics.filter((m) => m.valTop1 !== undefined);
  return [
    {
      id: "loss",
      data: [
        { x: epochs, y: r.metrics.map((m) => m.trainLoss), name: "train loss", mode: "lines+markers" },
        { x: withVal.map((m) => m.epoch), y: withVal.map((m) => m.valLoss), name: "test loss (1 clip)", mode: "lines+markers" },
      ],
      layout: { title: { text: "Loss" }, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "cross-entropy" } } },
    },
    {
      id: "accuracy",
      data: [
        { x: epochs, y: r.metrics.map((m) => 100 * m.trainAccuracy), name: "train top-1", mode: "lines+markers" },
        { x: withVal.map((m) => m.epoch), y: withVal.map((m) => 100 * (m.valTop1 ?? 0)), name: "test top-1 (1 clip)", mode: "lines+markers" },
        { x: [epochs[0], epochs[epochs.length - 1]], y: [100 / r.classes.length, 100 / r.classes.length], name: "chance", mode: "lines", line: { dash: "dot" } },
      ],
      layout: { title: { text: "Accuracy" }, xaxis: { title: { text: "epoch" } }, yaxis: { title: { text: "%" }, range: [0, 100] } },
    },
    {
      id: "confusion",
      data: [{ type: "heatmap", z: r.test.confusion, x: r.classes, y: r.classes, colorscale: "Blues", reversescale: true, hovertemplate: "true %{y}<br>predicted %{x}<br>%{z} clips<extra></extra>" }],
      layout: {
        title: { text: "Test confusion matrix" },
        xaxis: { title: { text: "predicted" } },
        yaxis: { title: { text: "true" }, autorange: "reversed" },
        margin: { l: 140, b: 140 },
      },
    },
  ];
}

export function renderReport(r: ReportInput): string {
  const plotly = plotlyBundle();
  const figs = figures(r);
  const perClass = r.classes
    .map((c, i) => {
      const row = r.test.confusion[i];
      const total = row.reduce((a, b) => a + b, 0);
      return `<tr><td>${escapeHtml(c)}</td><td>${total}</td><td>${total ? pct(row[i] / total) : "-"}</td></tr>`;
    })
    .join("");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child{text-align:left}.plot{height:420px}</style>
<script>${plotly}</script></head><body>
<h1>${escapeHtml(r.title)}</h1>
<ul>${r.facts.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>
<h2>Test: top-1 ${pct(r.test.top1)} (chance ${pct(1 / r.classes.length)}), top-5 ${pct(r.test.top5)}, mean class accuracy ${pct(r.test.meanClassAccuracy)}, ${r.test.videos} videos</h2>
${figs.map((f) => `<div class="plot" id="${f.id}"></div>`).join("\n")}
<h2>Per class</h2><table><tr><th>class</th><th>test videos</th><th>recall</th></tr>${perClass}</table>
<script>
${figs.map((f) => `Plotly.newPlot(${scriptJson(f.id)}, ${scriptJson(f.data)}, ${scriptJson(f.layout)}, {responsive: true});`).join("\n")}
</script></body></html>
`;
}

export async function writeReport(file: string, r: ReportInput): Promise<void> {
  await writeFileAtomic(file, renderReport(r));
}
