// The run report is one HTML page that opens offline; whatever a data set names its classes, the
// page shows them as text and runs no script but its own (issue 12, defect 1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeHtml, scriptJson } from "../src/html";
import { renderReport, type ReportInput } from "../src/train/report";

const HOSTILE = "</script><script>alert(document.domain)</script>";

function input(classes: string[]): ReportInput {
  const k = classes.length;
  return {
    title: `run on <${HOSTILE}>`,
    facts: [`data "${HOSTILE}"`],
    metrics: [{ epoch: 1, step: 2, lr: 0.1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valTop1: 0.5, valTop5: 1, clipsPerSecond: 3, seconds: 4 }],
    test: { videos: k, top1: 0.5, top5: 1, loss: 1, meanClassAccuracy: 0.5, confusion: classes.map((_, i) => classes.map((_, j) => (i === j ? 1 : 0))), predictions: [] },
    classes,
  };
}

test("report.html: a class named </script><script>alert(...) stays text; no script is injected", () => {
  const html = renderReport(input(["Basketball", HOSTILE]));
  assert.ok(!html.includes("<script>alert"), "the class name opened a <script> element");
  // The page's own inline scripts: plotly, then the plots. The hostile name adds none.
  const opened = html.match(/<script>/g) ?? [];
  assert.equal(opened.length, 2, `expected the report's 2 inline scripts, found ${opened.length}`);
  // The plots' data still carries the name, exactly, once the JSON is parsed.
  const call = /Plotly\.newPlot\("confusion", (.*), \{"title"/.exec(html);
  assert.ok(call, "the confusion plot call");
  assert.deepEqual(JSON.parse(call[1])[0].x, ["Basketball", HOSTILE]);
});

test("escapeHtml and scriptJson: one escaper for HTML text and attributes, one for JSON inside <script>", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  const tricky = { s: "</script><!-- \u2028 & >" };
  const json = scriptJson(tricky);
  assert.ok(!/[<>&\u2028\u2029]/.test(json), json);
  assert.deepEqual(JSON.parse(json), tricky);
});
