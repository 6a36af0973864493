// Where a SlowFast model's parameters and multiply-adds go, step by step and per pathway (the stem,
// each fusion's lateral, each residual stage, the head), from the library's own layers: parameter
// counts by name prefix in its ParamStore, multiply-adds by each layer's macs() on the plan's shapes.
import type { SlowFast } from "../model/slowfast";

export interface StepCost {
  /** "conv1", "maxpool", "fuse_conv1", "res2", ..., "head". */
  name: string;
  slowParams: number;
  fastParams: number;
  lateralParams: number;
  headParams: number;
  slowMacs: number;
  fastMacs: number;
  lateralMacs: number;
  headMacs: number;
}

const blank = (name: string): StepCost => ({ name, slowParams: 0, fastParams: 0, lateralParams: 0, headParams: 0, slowMacs: 0, fastMacs: 0, lateralMacs: 0, headMacs: 0 });

/** One row per step of the model plus the head; the rows add up to paramCounts().total and plan()'s multiply-adds. */
export function stepCosts(model: SlowFast, batch = 1): StepCost[] {
  const plan = model.plan(batch);
  const params = model.params;
  const rows: StepCost[] = model.steps.map((step, i) => {
    const row = blank(step.name);
    const before = plan[i]; // plan[0] is the sampled input; plan[i + 1] is the output of step i
    if (step.kind === "map") {
      if (step.slow && before.slow) row.slowMacs = step.slow.macs(before.slow);
      if (step.fast && before.fast) row.fastMacs = step.fast.macs(before.fast);
      row.slowParams = params.count(`slow.${step.name}.`);
      row.fastParams = params.count(`fast.${step.name}.`);
    } else {
      if (before.fast) row.lateralMacs = step.lateral.macs(before.fast);
      row.lateralParams = params.count(`lateral.${step.name.replace(/^fuse_/, "")}.`);
    }
    return row;
  });
  const head = blank("head");
  head.headParams = params.count("head.");
  head.headMacs = model.head.macs(batch);
  rows.push(head);
  const total = (f: (r: StepCost) => number) => rows.reduce((a, r) => a + f(r), 0);
  const p = total((r) => r.slowParams + r.fastParams + r.lateralParams + r.headParams);
  const m = total((r) => r.slowMacs + r.fastMacs + r.lateralMacs + r.headMacs);
  const planMacs = plan.reduce((a, s) => a + s.macs, 0);
  if (p !== params.count() || m !== planMacs) {
    throw new Error(`stepCosts: rows add up to ${p} parameters and ${m} multiply-adds, the model has ${params.count()} and ${planMacs}`);
  }
  return rows;
}
