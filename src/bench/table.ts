// The tables `npm run bench` prints: tfjs per preset and backend, and (with --torch) tfjs against
// the PyTorch twin with the ratios.
import { textTable } from "../util/table";
import type { BenchResult } from "./cases";

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

/** The first `left` columns left-aligned, the rest right-aligned. */
function printColumns(header: string[], body: string[][], left: number): void {
  for (const line of textTable([header, ...body], { right: (i) => i >= left })) console.log(line);
}

export function printTable(rows: BenchResult[]): void {
  const header = ["preset", "backend", "batch", "input (NDHWC)", "forward", "GFLOP/s", "train step", "GFLOP/s", "clips/s"];
  const body = rows.map((r) => [
    r.preset,
    r.backend,
    String(r.batch),
    r.input.join("x"),
    fmtMs(r.forward.medianMs),
    r.forward.gflops.toFixed(1),
    r.trainStep ? fmtMs(r.trainStep.medianMs) : "-",
    r.trainStep ? r.trainStep.gflops.toFixed(1) : "-",
    r.trainStep ? r.trainStep.clipsPerSecond.toFixed(1) : "-",
  ]);
  printColumns(header, body, 4);
}

/** Medians of the interleaved runs and tfjs / torch (> 1: tfjs is slower). */
export function printTwinTable(rows: BenchResult[]): void {
  const twinRows = rows.filter((r) => r.torch);
  if (twinRows.length === 0) return;
  const t0 = twinRows[0].torch!;
  console.log(`\ntfjs vs PyTorch ${t0.torchVersion} twin, interleaved (medians of ${t0.forward.runs}; ratio = tfjs / torch)`);
  const header = ["preset", "backend", "batch", "threads", "tfjs step", "torch step", "step ratio", "tfjs fwd", "torch fwd", "fwd ratio"];
  const ratio = (x: number | undefined) => (x === undefined ? "-" : `${x.toFixed(2)}x`);
  const body = twinRows.map((r) => {
    const t = r.torch!;
    return [
      r.preset,
      r.backend,
      String(r.batch),
      String(t.threads),
      r.trainStep ? fmtMs(r.trainStep.medianMs) : "-",
      t.trainStep ? fmtMs(t.trainStep.medianMs) : "-",
      ratio(t.ratio.trainStep),
      fmtMs(r.forward.medianMs),
      fmtMs(t.forward.medianMs),
      ratio(t.ratio.forward),
    ];
  });
  printColumns(header, body, 2);
}
