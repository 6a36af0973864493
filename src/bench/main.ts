// `npm run bench [-- --backends native,cpu --presets a,b --runs N --json]`
// `npm run bench -- --torch [--presets a,b --threads N --per-turn K]`: against the PyTorch twin
// `npm run bench -- --verify-mmaction2 <path> [--presets a,b]`: the twin against mmaction2's code
// `npm run bench -- --profile [--presets a,b]`: where a training step's time goes (profile.ts)
// Last, unless --no-weights: reading an R50-sized mmaction2 checkpoint into a SlowFast (weights.ts).
//
// Each backend runs in its own child process (a process holds one tfjs backend; SLOWFAST_BACKEND
// picks it), which prints one JSON line per case; this parent prints the table. Medians of --runs
// timed runs after one untimed warm-up. With --torch the child also starts the PyTorch twin
// (bench/torch/serve.py) and takes turns with it (interleave.ts); both use --threads threads
// (torch.set_num_threads, and TF_NUM_INTRAOP_THREADS for tfjs-node's TensorFlow).
// A benchmark, not a test: it prints figures and asserts nothing.
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { positiveInt } from "../cli/parse";
import { BENCH_CASES, type BenchResult } from "./cases";
import { printTable, printTwinTable } from "./table";
import { checkTwin, TWIN_DIR } from "./twin";
import { printWeightsBench } from "./weights";

const BACKENDS = ["native", "cpu"] as const;

interface Options {
  backends: string[];
  presets: string[];
  runs: number;
  json?: boolean;
  child?: boolean;
  torch?: boolean;
  threads: number;
  perTurn: number;
  verifyMmaction2?: string;
  profile?: boolean;
  weights: boolean;
}

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter(Boolean);
}


async function child(opts: Options): Promise<void> {
  const { backendInfo } = await import("../backend");
  const { runCase } = await import("./cases");
  const { runInterleaved } = await import("./interleave");
  const { TorchTwin } = await import("./twin");
  const native = backendInfo().kind === "native";
  const twin = opts.torch ? new TorchTwin(opts.threads) : undefined;
  try {
    for (const c of BENCH_CASES.filter((c) => opts.presets.includes(c.preset))) {
      if (c.nativeOnly && !native) {
        console.log(JSON.stringify({ preset: c.preset, skipped: "native backend only (minutes per run on pure JS)" }));
        continue;
      }
      const result = twin ? await runInterleaved(c, twin, { runs: opts.runs, perTurn: opts.perTurn }) : await runCase(c, opts.runs);
      console.log(JSON.stringify(result));
    }
  } finally {
    await twin?.close();
  }
}

/** The twin against mmaction2's real model (bench/torch/verify_mmaction2.py); exit status 0 when all match. */
async function verifyMmaction2(path: string, presets: string[], python: string): Promise<number> {
  const { presetConfig, SlowFast } = await import("../model");
  const items = presets.map((name) => {
    const model = new SlowFast(presetConfig(name));
    const kitParams = model.paramCounts().total;
    model.dispose();
    return { config: presetConfig(name), kitParams };
  });
  const r = spawnSync(python, ["-B", join(TWIN_DIR, "verify_mmaction2.py"), "--verify-mmaction2", resolve(path)], {
    input: JSON.stringify(items),
    stdio: ["pipe", "inherit", "inherit"],
  });
  return r.status ?? 1;
}

/** tfjs-node's TensorFlow sizes its intra-op pool from TF_NUM_INTRAOP_THREADS (else one per core): the twin's count, unless set. */
function sameThreads(threads: number): NodeJS.ProcessEnv {
  return { TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? String(threads) };
}

/**
 * Interleaving evens out what both sides see, but a third job still takes cores: then PyTorch's
 * OpenMP threads spin-wait for descheduled peers (measured: a slowfast_tiny step at 2 threads went
 * from ~0.2 s to ~2.4 s beside a training run) while TensorFlow's pool degrades gently.
 */
function warnIfBusy(threads: number): void {
  const load = loadavg()[0];
  if (load < 0.5 * availableParallelism()) return;
  console.error(
    `[bench] note: load average ${load.toFixed(1)} on ${availableParallelism()} cores: another job shares the machine; ` +
      `with ${threads} threads torch's OpenMP spin-waits may inflate its times (try --threads 1, or OMP_WAIT_POLICY=PASSIVE)`,
  );
}

function twinPythonOrExit(): string {
  const check = checkTwin();
  if (check.ok) return check.python;
  console.error(`[bench] PyTorch twin unavailable: ${check.reason}. Install: ${check.install}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const presetNames = BENCH_CASES.map((c) => c.preset);
  const program = new Command("bench")
    .description("time forward passes and training steps per preset and backend (medians); --torch: against the PyTorch twin")
    .option("--backends <list>", `comma-separated, from: ${BACKENDS.join(", ")} (default with --torch: native)`, list, [...BACKENDS])
    .option("--presets <list>", `comma-separated, from: ${presetNames.join(", ")}`, list, presetNames)
    .option("--runs <n>", "timed runs per measurement (the median is reported)", positiveInt, 5)
    .option("--json", "print the results as JSON lines")
    .option("--torch", "also time the PyTorch twin (bench/torch/), interleaved with tfjs, and print tfjs / torch")
    .option("--threads <n>", "with --torch: threads of both sides (torch.set_num_threads, TF_NUM_INTRAOP_THREADS)", positiveInt, availableParallelism())
    .option("--per-turn <n>", "with --torch: timed runs per turn before the other side's turn", positiveInt, 1)
    .option("--verify-mmaction2 <path>", "check the twin against mmaction2's real code at <path> (parameters, logits) and exit")
    .option("--profile", "print where one training step's time goes (kernel launches and time per group, in this process's backend) and exit")
    .option("--no-weights", "skip timing the import of an R50-sized mmaction2 checkpoint (weights.ts)")
    .option("--child", "internal: measure in this process and print JSON lines")
    .parse();
  const opts = program.opts<Options>();
  for (const p of opts.presets) {
    if (!presetNames.includes(p)) program.error(`unknown preset "${p}"; choose from ${presetNames.join(", ")}`);
  }
  if (opts.child) return child(opts);
  if (opts.profile) {
    const { printStepProfile } = await import("./profile");
    const presets = program.getOptionValueSource("presets") === "default" ? ["slowfast_tiny"] : opts.presets;
    for (const c of BENCH_CASES.filter((c) => c.train && presets.includes(c.preset))) await printStepProfile(c);
    return;
  }
  if (opts.verifyMmaction2) {
    const presets = program.getOptionValueSource("presets") === "default" ? ["slowfast_tiny", "slowfast_test"] : opts.presets;
    process.exit(await verifyMmaction2(opts.verifyMmaction2, presets, twinPythonOrExit()));
  }
  if (opts.torch) {
    twinPythonOrExit();
    if (program.getOptionValueSource("backends") === "default") opts.backends = ["native"];
    warnIfBusy(opts.threads);
  }

  const results: BenchResult[] = [];
  for (const backend of opts.backends) {
    if (!(BACKENDS as readonly string[]).includes(backend)) program.error(`unknown backend "${backend}"; choose from ${BACKENDS.join(", ")}`);
    const what = opts.torch ? `, interleaved with the PyTorch twin (${opts.threads} threads)` : "";
    console.error(`[bench] ${backend}: ${opts.presets.join(", ")} (${opts.runs} timed runs each${what})...`);
    const args = ["--child", "--presets", opts.presets.join(","), "--runs", String(opts.runs), "--threads", String(opts.threads), "--per-turn", String(opts.perTurn)];
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args, ...(opts.torch ? ["--torch"] : [])], {
      env: { ...process.env, SLOWFAST_BACKEND: backend, ...(opts.torch ? sameThreads(opts.threads) : {}) },
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
  else {
    printTable(results);
    printTwinTable(results);
  }
  if (opts.weights && !opts.json) printWeightsBench();
  const leaks = results.filter((r) => r.leakedTensors !== 0);
  for (const r of leaks) console.error(`[bench] warning: ${r.preset} on ${r.backend} leaked ${r.leakedTensors} tensors`);
  for (const r of results.filter((r) => r.torch && r.torch.params !== r.params)) {
    console.error(`[bench] warning: ${r.preset}: the twin has ${r.torch!.params} parameters, the kit ${r.params}: not the same network`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
