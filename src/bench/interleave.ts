// tfjs against its PyTorch twin, interleaved: one rig (cases.ts) and one twin server (twin.ts) take
// turns, `perTurn` timed runs at a time, so both see the same machine conditions (another job
// starting halfway slows both, not one). Who goes first alternates every round, so neither always
// runs right after the other. While one side runs, the other waits (the twin blocks on its stdin,
// tfjs on nothing: its calls are synchronous), so they never compete for the cores.
import { BENCH_OPTIMIZER, type BenchCase, type BenchResult, type CaseRig, tfjsResult, withRig } from "./cases";
import { summarize, timeRuns } from "./timing";
import type { TorchTwin } from "./twin";

export interface InterleaveOptions {
  /** Timed runs per side and measurement (the median is reported). */
  runs: number;
  /** Timed runs per turn before the other side's turn. Default 1. */
  perTurn?: number;
}

/** The raw times of one interleaved measurement, per side (ms). */
export interface PairedTimes {
  tfjs: { forward: number[]; trainStep: number[] };
  torch: { forward: number[]; trainStep: number[] };
}

/** Warm-up (one untimed run each side), then alternating turns until each side has `runs` times. */
export async function measurePaired(rig: CaseRig, twin: TorchTwin, train: boolean, opts: InterleaveOptions): Promise<PairedTimes> {
  const perTurn = Math.max(1, opts.perTurn ?? 1);
  const t: PairedTimes = { tfjs: { forward: [], trainStep: [] }, torch: { forward: [], trainStep: [] } };
  rig.forward();
  await twin.forward(1);
  if (train) {
    rig.trainStep();
    await twin.train(1);
  }
  for (let done = 0, round = 0; done < opts.runs; done += perTurn, round++) {
    const k = Math.min(perTurn, opts.runs - done);
    const turns: (() => Promise<void>)[] = [
      async () => {
        if (train) t.tfjs.trainStep.push(...timeRuns(rig.trainStep, k));
        t.tfjs.forward.push(...timeRuns(rig.forward, k));
      },
      async () => {
        if (train) t.torch.trainStep.push(...(await twin.train(k)));
        t.torch.forward.push(...(await twin.forward(k)));
      },
    ];
    if (round % 2 === 1) turns.reverse();
    for (const turn of turns) await turn();
  }
  return t;
}

/** One preset: tfjs and the twin at the same batch size, interleaved; the result holds both and their ratio. */
export function runInterleaved(c: BenchCase, twin: TorchTwin, opts: InterleaveOptions): Promise<BenchResult> {
  return withRig(c, async (rig) => {
    const built = await twin.build(rig.model.config, c.batch, BENCH_OPTIMIZER);
    const t = await measurePaired(rig, twin, c.train, opts);
    const result = tfjsResult(c, rig, summarize(t.tfjs.forward), c.train ? summarize(t.tfjs.trainStep) : undefined);
    const forward = summarize(t.torch.forward);
    const trainStep = c.train ? summarize(t.torch.trainStep) : undefined;
    result.torch = {
      torchVersion: built.torch,
      threads: built.threads,
      params: built.params,
      forward,
      trainStep,
      ratio: {
        forward: result.forward.medianMs / forward.medianMs,
        trainStep: trainStep && result.trainStep ? result.trainStep.medianMs / trainStep.medianMs : undefined,
      },
    };
    return result;
  });
}
