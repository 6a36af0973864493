// `npm run bench [-- --backends native,cpu --presets a,b --runs N --json]`
//
// Each backend runs in its own child process (a process holds one tfjs backend; SLOWFAST_BACKEND
// picks it), which prints one JSON line per case; this parent prints the table. Medians of --runs
// timed runs after one untimed warm-up. A benchmark, not a test: it prints figures and asserts nothing.
import { spawnSync } from "node:child_process";
import { Command, InvalidArgumentError } from "commander";
import { BENCH_CASES, type BenchResult } from "./cases";

const BACKENDS = ["native", "cpu"] as const;

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}

function runs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

async function child(presets: string[], nRuns: number): Promise<void> {
  const { backendInfo } = await import("../backend");
  const { runCase } = await import("./cases");
  const native = backendInfo().kind === "native";
  for (const c of BENCH_CASES.filter((c) => presets.includes(c.preset))) {
    if (c.nativeOnly && !native) {
      console.log(JSON.stringify({ preset: c.preset, skipped: "native backend only (minutes per run on pure JS)" }));
      continue;
    }
    console.log(JSON.stringify(runCase(c, nRuns)));
  }
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function printTable(rows: BenchResult[]): void {
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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const b of body) console.log(line(b));
}

async function main(): Promise<void> {
  const program = new Command("bench")
    .description("time forward passes and training steps per preset and backend (medians)")
    .option("--backends <list>", `comma-separated, from: ${BACKENDS.join(", ")}`, list, [...BACKENDS])
    .option("--presets <list>", `comma-separated, from: ${BENCH_CASES.map((c) => c.preset).join(", ")}`, list, BENCH_CASES.map((c) => c.preset))
    .option("--runs <n>", "timed runs per measurement (the median is reported)", runs, 5)
    .option("--json", "print the results as JSON lines")
    .option("--child", "internal: measure in this process and print JSON lines")
    .parse();
  const opts = program.opts<{ backends: string[]; presets: string[]; runs: number; json?: boolean; child?: boolean }>();
  for (const p of opts.presets) {
    if (!BENCH_CASES.some((c) => c.preset === p)) program.error(`unknown preset "${p}"; choose from ${BENCH_CASES.map((c) => c.preset).join(", ")}`);
  }
  if (opts.child) return child(opts.presets, opts.runs);

  const results: BenchResult[] = [];
  for (const backend of opts.backends) {
    if (!(BACKENDS as readonly string[]).includes(backend)) program.error(`unknown backend "${backend}"; choose from ${BACKENDS.join(", ")}`);
    console.error(`[bench] ${backend}: ${opts.presets.join(", ")} (${opts.runs} timed runs each)...`);
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, "--child", "--presets", opts.presets.join(","), "--runs", String(opts.runs)], {
      env: { ...process.env, SLOWFAST_BACKEND: backend },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) {
      console.error(`[bench] ${backend}: failed (exit ${r.status ?? r.signal}); skipped`);
      continue;
    }
    for (const line of r.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      const row = JSON.parse(line) as BenchResult | { preset: string; skipped: string };
      if ("skipped" in row) console.error(`[bench] ${backend}: ${row.preset} skipped: ${row.skipped}`);
      else results.push(row);
    }
  }
  if (opts.json) for (const r of results) console.log(JSON.stringify(r));
  else printTable(results);
  const leaks = results.filter((r) => r.leakedTensors !== 0);
  for (const r of leaks) console.error(`[bench] warning: ${r.preset} on ${r.backend} leaked ${r.leakedTensors} tensors`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
