// `npm run bench -- --profile`: where one training step's time goes on the current backend. Runs a
// few steps under tf.profile and prints kernel launches and kernel time per step, grouped, with
// the biggest kernels. Kernels run directly through the native backend (native_kernels.ts: fused
// batch norm, ReluGrad) are invisible to tf.profile; they are counted, and their time is part of
// "not seen by the profiler" (step wall time minus the profiled kernels' time).
import { backendInfo, tf } from "../backend";
import { nativeKernels } from "../model/layers/native_kernels";
import { textTable } from "../util/table";
import { type BenchCase, prepareCase } from "./cases";

/** Kernel name -> group, for the summary. */
function group(kernel: string): string {
  if (/^(Conv|BatchMatMul|MaxPool)/.test(kernel)) return "convolutions, 1x1 matMuls, max pool";
  if (/^(Reshape|Identity|Concat|SplitV|Slice|PadV2|Transpose|GatherV2|Cast|Range|UnsortedSegmentSum)$/.test(kernel)) return "data movement (reshape, slice, pad, concat, ...)";
  return "element-wise and reductions";
}

interface KernelTotal {
  launches: number;
  ms: number;
}

export async function printStepProfile(c: BenchCase, steps = 3): Promise<void> {
  const rig = prepareCase(c);
  try {
    for (let i = 0; i < 2; i++) rig.trainStep(); // warm-up (the optimiser's state, oneDNN's kernel choices)
    const byKernel = new Map<string, KernelTotal>();
    const directBefore = nativeKernels()?.launches ?? 0;
    let wallMs = 0;
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      const profile = await tf.profile(() => rig.trainStep());
      wallMs += performance.now() - start;
      // "unnamed scope" entries are custom gradients wrapping kernels listed on their own.
      for (const k of profile.kernels.filter((k) => k.name !== "unnamed scope")) {
        const total = byKernel.get(k.name) ?? { launches: 0, ms: 0 };
        total.launches++;
        total.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
        byKernel.set(k.name, total);
      }
    }
    const direct = ((nativeKernels()?.launches ?? 0) - directBefore) / steps;
    const perStep = [...byKernel].map(([name, t]) => ({ name, launches: t.launches / steps, ms: t.ms / steps }));
    const groups = new Map<string, KernelTotal>();
    for (const k of perStep) {
      const g = groups.get(group(k.name)) ?? { launches: 0, ms: 0 };
      groups.set(group(k.name), { launches: g.launches + k.launches, ms: g.ms + k.ms });
    }
    const seenMs = perStep.reduce((a, k) => a + k.ms, 0);
    const step = wallMs / steps;
    const fmt = (x: number) => x.toFixed(1);
    console.log(`${c.preset} on ${backendInfo().kind}: one training step at batch ${c.batch}, mean of ${steps} profiled steps (profiling adds time)`);
    const rows = [...groups].sort((a, b) => b[1].ms - a[1].ms).map(([name, t]) => [name, String(Math.round(t.launches)), fmt(t.ms)]);
    rows.push([`not seen by the profiler (JS, ${direct} direct native kernels)`, String(direct), fmt(step - seenMs)]);
    rows.push(["step (wall)", String(Math.round(perStep.reduce((a, k) => a + k.launches, 0) + direct)), fmt(step)]);
    for (const line of textTable([["", "launches", "ms/step"], ...rows], { right: (i) => i >= 1 })) console.log(line);
    console.log("biggest kernels:");
    const top = perStep.sort((a, b) => b.ms - a.ms).slice(0, 12).map((k) => [k.name, String(k.launches), fmt(k.ms)]);
    for (const line of textTable([["kernel", "launches", "ms/step"], ...top], { right: (i) => i >= 1 })) console.log(`  ${line}`);
  } finally {
    rig.dispose();
  }
}
