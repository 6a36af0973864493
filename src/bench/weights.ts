// `npm run bench` also times the way in for real weights: reading an R50-sized mmaction2
// checkpoint (138 MB, 642 tensors) and turning it into a SlowFast. The checkpoint is made by PyTorch
// when the twin's python has it (random values, mmaction2's exact keys and shapes from
// test/fixtures/mmaction2/r50_manifest.json, torch.save as mmaction2 publishes), else by the kit's
// own writer (interop/), which the table says. Runs in its own process (node ... weights.ts), on
// the native backend, and prints one JSON line; main.ts prints it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmtMs } from "./table";
import { checkTwin } from "./twin";

const MANIFEST = join(__dirname, "..", "..", "test", "fixtures", "mmaction2", "r50_manifest.json");
const PRESET = "slowfast_r50_4x16x1";

export interface WeightsBench {
  madeBy: string;
  megabytes: number;
  tensors: number;
  /** readMmaction2Checkpoint: file -> zip -> CRC-32 -> pickle -> tensor views (best of 3). */
  readMs: number;
  /** buildModel: a new SlowFast, float32 tensors, PyTorch -> kit layouts, every shape checked (one run). */
  buildMs: number;
}

const MAKE_WITH_TORCH = `
import collections, json, sys, torch
entry = json.load(open(sys.argv[1]))["presets"][sys.argv[2]]
g = torch.Generator().manual_seed(0)
sd = collections.OrderedDict((k, torch.randn(s, generator=g) * 0.01 if d == "float32" else torch.zeros(s, dtype=torch.long)) for k, s, d in entry["stateDict"])
torch.save(dict(meta=dict(note="synthetic R50 for npm run bench"), state_dict=sd), sys.argv[3])
print(torch.__version__)
`;

async function measure(): Promise<WeightsBench> {
  const { tf } = await import("../backend");
  const { buildModel, encodeMmaction2Checkpoint, inferConfig, readMmaction2Checkpoint } = await import("../interop/mmaction2");
  const { presetConfig, SlowFast } = await import("../model");
  const dir = mkdtempSync(join(tmpdir(), "slowfast-bench-weights-"));
  const file = join(dir, "r50.pth");
  try {
    let madeBy: string;
    const twin = checkTwin();
    const made = twin.ok ? spawnSync(twin.python, ["-c", MAKE_WITH_TORCH, MANIFEST, PRESET, file], { encoding: "utf8", timeout: 300_000 }) : undefined;
    if (made?.status === 0) madeBy = `PyTorch ${made.stdout.trim()}`;
    else {
      const model = new SlowFast(presetConfig(PRESET));
      writeFileSync(file, encodeMmaction2Checkpoint(model, { note: "synthetic R50 for npm run bench" }));
      model.dispose();
      madeBy = `the kit's writer (${twin.ok ? `PyTorch failed: ${made?.stderr.trim().split("\n").pop()}` : "no PyTorch"})`;
    }
    let readMs = Infinity;
    let sd = await readMmaction2Checkpoint(file);
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      sd = await readMmaction2Checkpoint(file);
      readMs = Math.min(readMs, performance.now() - t0);
    }
    const t0 = performance.now();
    const model = buildModel(file, sd, inferConfig(file, sd).config);
    const buildMs = performance.now() - t0;
    model.dispose();
    if (tf.memory().numTensors !== 0) console.error(`[bench] weights: ${tf.memory().numTensors} tensors left`);
    return { madeBy, megabytes: statSync(file).size / 1e6, tensors: sd.tensors.size, readMs, buildMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the measurement in a child process on the native backend; prints its line (or why it was skipped). */
export function printWeightsBench(): void {
  console.error("[bench] weights: an R50-sized mmaction2 checkpoint, read and imported...");
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, "--child"], {
    env: { ...process.env, SLOWFAST_BACKEND: "native" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (r.status !== 0 || !line) {
    console.error(`[bench] weights: failed (exit ${r.status ?? r.signal}); skipped`);
    return;
  }
  const w = JSON.parse(line) as WeightsBench;
  console.log(
    `\nR50 checkpoint import (${PRESET}, ${w.megabytes.toFixed(0)} MB, ${w.tensors} tensors, made by ${w.madeBy}): ` +
      `read + parse ${fmtMs(w.readMs)}, into a SlowFast ${fmtMs(w.buildMs)} (native backend)`,
  );
}

if (require.main === module && process.argv.includes("--child")) {
  measure()
    .then((w) => console.log(JSON.stringify(w)))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
