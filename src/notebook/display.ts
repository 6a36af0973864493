// Output for notebook cells. Inside the tslab kernel, rich output goes through tslab's `display`
// (the same module instance the kernel uses, because the kernel is this project's own tslab: see
// scripts/notebooks/jupyter.ts). Outside a kernel (unit tests, plain node) HTML is not shown and
// text goes to the console, so every helper here can also be called from tests.
import { escapeHtml } from "../html";
import { textTable } from "../util/table";

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
}

let cached: TslabDisplay | null | undefined;

/** tslab's display when running inside its kernel, else null. */
export function kernelDisplay(): TslabDisplay | null {
  if (cached !== undefined) return cached;
  cached = null;
  // The kernel runs as `<node> .../tslab kernel --config-path ...`; anything else (tests, a script
  // started from a Jupyter terminal) has no kernel to display into.
  if (process.argv[2] === "kernel" && /tslab/.test(process.argv[1] ?? "")) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = (require("tslab") as { display: TslabDisplay }).display;
    } catch {
      cached = null;
    }
  }
  return cached;
}

/** Shows an HTML fragment in the cell's output (no-op outside a kernel). Returns true if shown. */
export function showHtml(html: string): boolean {
  const d = kernelDisplay();
  if (!d) return false;
  d.html(html);
  return true;
}

export { escapeHtml } from "../html";

/** A plain HTML table (renders in JupyterLab and in an HTML export, no script needed). */
export function htmlTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (tag: string, v: string | number) =>
    `<${tag} style="text-align:${typeof v === "number" ? "right" : "left"};padding:2px 10px">${escapeHtml(typeof v === "number" ? v.toLocaleString("en-US") : v)}</${tag}>`;
  return [
    `<table style="border-collapse:collapse;font-family:monospace;font-size:12px">`,
    `<thead><tr>${header.map((h) => cell("th", h)).join("")}</tr></thead>`,
    `<tbody>${rows.map((r) => `<tr>${r.map((v) => cell("td", v)).join("")}</tr>`).join("")}</tbody>`,
    `</table>`,
  ].join("");
}

/** Shows a table (and prints it as text too, so the runner's log and a terminal see it). */
export function showTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  if (!showHtml(htmlTable(header, rows))) {
    const text = [header, ...rows.map((r) => r.map((v) => (typeof v === "number" ? v.toLocaleString("en-US") : String(v))))];
    console.log(textTable(text).join("\n"));
  }
}
