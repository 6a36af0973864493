// Canary for the pointwise-conv workaround in src/model/layers/conv3d.ts.
//
// The kit runs 1x1x1 convolutions as gather + matMul because TF 2.21's oneDNN "brgemm 1x1"
// convolution divides by the CPU's cache size and kills the process with SIGFPE on machines whose
// CPU reports none. This script tries the real thing on the native backend, in a CHILD process so
// that a crash is observed instead of suffered: tf.conv3d with a 1x1x1 kernel on [4,14,14,256] ->
// 1024 channels (R50's res4) and the same as a 1x1 tf.conv2d, forward and both gradients, each
// checked against matMul. It prints one line:
//
//   pointwise-conv probe: crashes (...)      TensorFlow still crashes here: keep the workaround
//   pointwise-conv probe: works (...)        it ran and matched matMul on this machine
//   pointwise-conv probe: unavailable (...)  no native backend to probe (exit code 2)
//
// The crash needs a CPU that reports no cache sizes, so "works" on a CPU that reports them (the
// line says which) does not show that TensorFlow is fixed.
// Usage: node --import tsx scripts/probe-pointwise-conv.ts
// Exit code 0 for "crashes" and "works" (both are answers), 2 when the probe could not run.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tensor, Tensor2D, Tensor4D, Tensor5D } from "@tensorflow/tfjs";

const PREFIX = "pointwise-conv probe:";
const CHILD_FLAG = "--child";

async function child(): Promise<void> {
  process.env.SLOWFAST_BACKEND = "native";
  const { tf } = await import("../src/backend");
  const x = tf.randomNormal([1, 4, 14, 14, 256], 0, 1, "float32", 1) as Tensor5D;
  const w = tf.randomNormal([1, 1, 1, 256, 1024], 0, 0.05, "float32", 2) as Tensor5D;
  const viaMatMul = tf.matMul(x.reshape([-1, 256]) as Tensor2D, w.reshape([256, 1024]) as Tensor2D);
  const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["conv3d", (a, b) => tf.conv3d(a as Tensor5D, b as Tensor5D, 1, "valid")],
    ["conv2d", (a, b) => tf.conv2d(a.reshape([4, 14, 14, 256]) as Tensor4D, b.reshape([1, 1, 256, 1024]) as Tensor4D, 1, "valid")],
  ];
  for (const [name, conv] of cases) {
    console.log(`START ${name}`);
    const diff = tf.max(tf.abs(tf.sub(conv(x, w).reshape([-1, 1024]), viaMatMul))).dataSync()[0];
    // Training runs the backward kernels too.
    const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => conv(a, b).sum())([x, w]);
    const finite = tf.all(tf.isFinite(dx)).dataSync()[0] === 1 && tf.all(tf.isFinite(dw)).dataSync()[0] === 1;
    console.log(`DONE ${name} ${diff} ${finite}`);
  }
}

/** Whether the kernel reports this CPU's cache sizes (what oneDNN's blocking divides by). */
function cacheSizes(): string {
  try {
    const dir = "/sys/devices/system/cpu/cpu0/cache";
    const sizes = readdirSync(dir)
      .filter((d) => d.startsWith("index"))
      .map((d) => readFileSync(`${dir}/${d}/size`, "utf8").trim());
    return sizes.length > 0 && sizes.every((s) => s !== "" && s !== "0K") ? `this CPU reports cache sizes ${sizes.join("/")}` : "this CPU reports no cache sizes";
  } catch {
    return "this CPU's cache sizes are unknown";
  }
}

function parent(): number {
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, CHILD_FLAG], {
    cwd: join(__dirname, ".."), // where `tsx` resolves
    encoding: "utf8",
    env: { ...process.env, SLOWFAST_BACKEND: "native", TF_CPP_MIN_LOG_LEVEL: "2" },
    timeout: 120_000,
  });
  const lines = `${r.stdout ?? ""}`.split("\n");
  const started = lines.filter((l) => l.startsWith("START ")).map((l) => l.slice(6));
  const done = lines.filter((l) => l.startsWith("DONE ")).map((l) => l.slice(5).split(" "));
  const what = "1x1 [4,14,14,256]->1024";
  if (r.status === 0 && done.length === 2) {
    const diffs = done.map(([name, diff, finite]) => `${name} ${Number(diff).toExponential(1)}${finite === "true" ? "" : " (non-finite gradients)"}`);
    const good = done.every(([, diff, finite]) => Number(diff) < 1e-3 && finite === "true");
    const verdict = good ? "TensorFlow no longer crashes here" : "TensorFlow ran but disagrees with matMul: keep the workaround";
    console.log(`${PREFIX} works (conv3d and conv2d ${what}, forward and gradients; max |conv - matMul|: ${diffs.join(", ")}; ${cacheSizes()}) - ${verdict}`);
    return 0;
  }
  if (r.signal !== null && r.signal !== "SIGTERM" && r.signal !== "SIGKILL") {
    const inCase = started.length > done.length ? started[started.length - 1] : "start-up";
    console.log(`${PREFIX} crashes (${r.signal} in ${inCase} ${what}; ${cacheSizes()}) - keep the gather + matMul workaround in src/model/layers/conv3d.ts`);
    return 0;
  }
  const lastErr = `${r.stderr ?? ""}`.trim().split("\n").filter(Boolean).pop() ?? "";
  const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal} (timeout?)` : `exit code ${r.status}: ${lastErr}`;
  console.log(`${PREFIX} unavailable (${why.slice(0, 200)})`);
  return 2;
}

if (process.argv.includes(CHILD_FLAG)) {
  child().catch((err) => {
    console.error(String((err as Error)?.message ?? err).split("\n")[0]);
    process.exit(1);
  });
} else {
  process.exitCode = parent();
}
