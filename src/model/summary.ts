// A per-stage summary of a SlowFast model (d2l's layer_summary, for two pathways): the shapes a
// real forward pass produced at every stage and fusion, parameter counts, and multiply-adds.
import { totalmem } from "node:os";
import { tf } from "../backend";
import { textTable } from "../util/table";
import { formatCTHW, sameShape } from "./shape";
import type { ParamCounts, SlowFast } from "./slowfast";

export interface StageSummary {
  name: string;
  /** NDHWC shape, or null where the pathway is absent (or for the head). */
  slow: number[] | null;
  fast: number[] | null;
  macs: number;
}

export interface ModelSummary {
  preset: string;
  /** NDHWC input shape. */
  input: number[];
  params: ParamCounts;
  stages: StageSummary[];
  /** Conv and fc multiply-adds for the whole input (batch 1 = one view). */
  macs: number;
  logits: number[];
}

/** A tfjs tensor is one typed array: at most 2^31 - 1 values (V8 refuses longer ones). */
const MAX_TENSOR_VALUES = 2 ** 31 - 1;

/**
 * Refuses, in one line, an input whose forward pass could not run: a tensor longer than a typed
 * array may be, or activations larger than half this machine's memory. The bound is 4x the largest
 * planned stage output (the stem's convolution, before its stride-2 pool, is 4x the stem's output).
 */
export function checkRunnable(model: SlowFast, batch = 1): void {
  const input = model.inputShape(batch);
  const count = (s: readonly number[] | null) => (s ? s.reduce((a, b) => a * b, 1) : 0);
  const largest = Math.max(count(input), ...model.plan(batch).map((p) => 4 * Math.max(count(p.slow), count(p.fast))));
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  if (largest > MAX_TENSOR_VALUES || 4 * largest > totalmem() / 2) {
    throw new Error(
      `${model.config.name}: an input of ${formatCTHW(input)} is too large to run: one activation would hold ~${largest.toExponential(1)} values ` +
        `(${gib(4 * largest)} GiB; a tfjs tensor holds at most 2^31 - 1, and this machine has ${gib(totalmem())} GiB); use a smaller size or fewer frames`,
    );
  }
}

/** Runs `model` on a random clip of its input shape and records every stage. */
export function summarize(model: SlowFast, batch = 1): ModelSummary {
  checkRunnable(model, batch);
  const plan = model.plan(batch);
  const input = model.inputShape(batch);
  const clip = tf.randomNormal(input, 0, 1, "float32", 0) as tf.Tensor5D;
  const { logits, stages } = model.forward(clip, { intermediates: true });
  const measured: StageSummary[] = stages.map((s, i) => ({ name: s.name, slow: s.slow?.shape ?? null, fast: s.fast?.shape ?? null, macs: plan[i].macs }));
  const headPlan = plan[plan.length - 1];
  measured.push({ name: headPlan.name, slow: null, fast: null, macs: headPlan.macs });
  const logitsShape = logits.shape;
  tf.dispose([clip, logits, ...stages.flatMap((s) => [s.slow, s.fast]).filter((t): t is tf.Tensor5D => t !== null)]);
  // forward() already asserted every stage against the plan; this guards summarize() itself.
  measured.forEach((s, i) => {
    if ((s.slow && !sameShape(s.slow, plan[i].slow ?? [])) || (s.fast && !sameShape(s.fast, plan[i].fast ?? []))) {
      throw new Error(`summary: stage ${s.name} does not match the plan`);
    }
  });
  return { preset: model.config.name, input, params: model.paramCounts(), stages: measured, macs: plan.reduce((a, p) => a + p.macs, 0), logits: logitsShape };
}

const fmt = (n: number) => n.toLocaleString("en-US");

/** A plain-text table, shapes printed as PyTorch's C x T x H x W to compare with the paper. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.stages.map((st) => [
    st.name,
    st.slow ? formatCTHW(st.slow) : st.name === "head" ? `${s.logits[1]} classes` : "-",
    st.fast ? formatCTHW(st.fast) : "-",
    st.macs ? fmt(st.macs) : "-",
  ]);
  const header = ["stage", "slow (C x T x H x W)", "fast (C x T x H x W)", "multiply-adds"];
  const p = s.params;
  return [
    `${s.preset}: input ${formatCTHW(s.input)} (NDHWC ${JSON.stringify(s.input)})`,
    ...textTable([header, ...rows], { right: (i) => i === 3, rule: true }),
    "",
    `parameters: ${fmt(p.total)} total = slow ${fmt(p.slow)} (laterals ${fmt(p.laterals)}) + fast ${fmt(p.fast)} + head ${fmt(p.head)}`,
    `multiply-adds (conv + fc): ${fmt(s.macs)} (${(s.macs / 1e9).toFixed(2)} G)`,
  ].join("\n");
}
