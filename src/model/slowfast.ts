// The assembled SlowFast network (mmaction2's ResNet3dSlowFast backbone + SlowFastHead).
//
// The data takes one road: clip -> temporal sampling -> per pathway conv1 -> maxpool, then
// fuse_conv1, res2, fuse_res2, res3, fuse_res3, res4, fuse_res4, res5 -> head -> logits.
// Every step is a Layer, so the same list of steps gives both plan() (shapes and multiply-adds by
// arithmetic alone) and forward() (tensors), and forward() checks each stage's tensor against the
// plan, naming the stage when they differ.
import { tf } from "../backend";
import { fastWidth, type SlowFastConfig, validateConfig } from "./config";
import { EXPANSION, ResStage } from "./blocks";
import { SlowFastHead } from "./head";
import type { Layer } from "./layer";
import { fuse, Lateral } from "./lateral";
import type { BatchNormOptions } from "./layers/batchnorm";
import { ParamStore, type ParamScope } from "./params";
import { samplePathways, sampledShapes } from "./sampling";
import { assertShape, type Shape5, ShapeError } from "./shape";
import { StemMaxPool, stemConv } from "./stem";

export const STAGE_NAMES = ["res2", "res3", "res4", "res5"] as const;

type Step =
  | { name: string; kind: "map"; slow: Layer | null; fast: Layer | null }
  | { name: string; kind: "fuse"; lateral: Lateral };

export interface StagePlan {
  name: string;
  slow: Shape5 | null;
  fast: Shape5 | null;
  /** Multiply-adds of this stage's conv layers (the head's fc for "head"). */
  macs: number;
}

export interface StageOutput {
  name: string;
  slow: tf.Tensor5D | null;
  fast: tf.Tensor5D | null;
}

export interface ForwardOptions {
  /** Batch norm on batch statistics (and updating running ones), dropout on. Default false. */
  training?: boolean;
  /** Keep every stage's tensors (the caller disposes them). Default false. */
  intermediates?: boolean;
  dropoutSeed?: number;
}

export interface ForwardResult {
  /** [N, numClasses] */
  logits: tf.Tensor2D;
  /** Empty unless `intermediates` was set. */
  stages: StageOutput[];
}

export interface ParamCounts {
  total: number;
  /** Slow pathway including the lateral connections (mmaction2 keeps them in slow_path). */
  slow: number;
  laterals: number;
  fast: number;
  head: number;
}

export class SlowFast {
  readonly config: SlowFastConfig;
  readonly params: ParamStore;
  readonly steps: Step[] = [];
  readonly head: SlowFastHead;

  constructor(config: SlowFastConfig, seed = 0) {
    this.config = validateConfig(config);
    this.params = new ParamStore(seed);
    const cfg = this.config;
    const useSlow = cfg.pathways !== "fast_only";
    const useFast = cfg.pathways !== "slow_only";
    // lateral.kind "none": both pathways, no fuse steps; the slow pathway keeps its own channels.
    const useLaterals = useSlow && useFast && cfg.lateral.kind !== "none";
    const norm: BatchNormOptions = { eps: cfg.bnEps, momentum: cfg.bnMomentum };
    const root = this.params.scope("");
    const slowScope = root.child("slow");
    const fastScope = root.child("fast");
    const expansion = EXPANSION[cfg.block];

    // Channels entering each pathway's next stage; the slow one grows by the lateral's channels.
    let slowC = cfg.width;
    let fastC = fastWidth(cfg);
    this.steps.push({ name: "conv1", kind: "map", slow: useSlow ? stemConv(slowScope.child("conv1"), cfg.slow, slowC, norm) : null, fast: useFast ? stemConv(fastScope.child("conv1"), cfg.fast, fastC, norm) : null });
    this.steps.push({ name: "maxpool", kind: "map", slow: useSlow ? new StemMaxPool() : null, fast: useFast ? new StemMaxPool() : null });
    const addLateral = (after: string) => {
      const lateral = new Lateral(root.child("lateral").child(after), cfg.lateral.kind, fastC, cfg.alpha, cfg.lateral.kernelT);
      this.steps.push({ name: `fuse_${after}`, kind: "fuse", lateral });
      slowC += lateral.outChannels;
    };
    if (useLaterals) addLateral("conv1");

    STAGE_NAMES.forEach((stage, i) => {
      const stageSpec = (scope: ParamScope, inplanes: number, planes: number, inflate: 0 | 1) =>
        new ResStage(scope.child(stage), {
          kind: cfg.block,
          inplanes,
          planes,
          blocks: cfg.stageBlocks[i],
          spatialStride: cfg.spatialStrides[i],
          inflate: inflate === 1,
          norm,
          zeroInitResidual: cfg.zeroInitResidual,
        });
      const slowPlanes = cfg.width * 2 ** i;
      const fastPlanes = fastWidth(cfg) * 2 ** i;
      this.steps.push({
        name: stage,
        kind: "map",
        slow: useSlow ? stageSpec(slowScope, slowC, slowPlanes, cfg.slow.inflate[i]) : null,
        fast: useFast ? stageSpec(fastScope, fastC, fastPlanes, cfg.fast.inflate[i]) : null,
      });
      slowC = slowPlanes * expansion;
      fastC = fastPlanes * expansion;
      if (useLaterals && i < STAGE_NAMES.length - 1) addLateral(stage);
    });

    const headIn = (useSlow ? slowC : 0) + (useFast ? fastC : 0);
    this.head = new SlowFastHead(root.child("head"), headIn, cfg.numClasses, cfg.dropout, cfg.initStd);
  }

  /** The NDHWC input this model takes: [batch, frames, size, size, 3]. */
  inputShape(batch = 1): Shape5 {
    return [batch, this.config.frames, this.config.size, this.config.size, 3];
  }

  /** Every stage's output shapes and multiply-adds, by arithmetic alone (no tensors). */
  plan(batch = 1): StagePlan[] {
    const cfg = this.config;
    const sampled = sampledShapes(this.inputShape(batch), cfg);
    let slow = cfg.pathways === "fast_only" ? null : sampled.slow;
    let fast = cfg.pathways === "slow_only" ? null : sampled.fast;
    const plans: StagePlan[] = [{ name: "sampling", slow, fast, macs: 0 }];
    for (const step of this.steps) {
      let macs = 0;
      if (step.kind === "map") {
        if (step.slow && slow) [macs, slow] = [macs + step.slow.macs(slow), step.slow.outShape(slow)];
        if (step.fast && fast) [macs, fast] = [macs + step.fast.macs(fast), step.fast.outShape(fast)];
      } else if (slow && fast) {
        const lat = step.lateral.outShape(fast);
        if (lat[1] !== slow[1] || lat[2] !== slow[2] || lat[3] !== slow[3]) {
          throw new ShapeError(`${step.name} (lateral output vs slow pathway, T/H/W)`, [...slow.slice(0, 4), lat[4]], lat);
        }
        macs = step.lateral.macs(fast);
        slow = [slow[0], slow[1], slow[2], slow[3], slow[4] + lat[4]];
      }
      plans.push({ name: step.name, slow, fast, macs });
    }
    plans.push({ name: "head", slow: null, fast: null, macs: this.head.macs(batch) });
    return plans;
  }

  /** clip: [N, frames, size, size, 3], normalised, NDHWC -> logits [N, numClasses]. */
  forward(clip: tf.Tensor5D, options: ForwardOptions = {}): ForwardResult {
    const { training = false, intermediates = false, dropoutSeed } = options;
    const expectedInput = this.inputShape(clip.shape[0]);
    if (clip.rank !== 5) {
      throw new ShapeError(`input (a rank-5 NDHWC clip [batch, frames, height, width, 3] for preset ${this.config.name})`, expectedInput, clip.shape);
    }
    assertShape(`input (NDHWC clip for preset ${this.config.name})`, expectedInput, clip.shape);
    const plan = this.plan(clip.shape[0]);
    // tf.tidy keeps the returned tensors (logits, and the stages when asked) and frees the rest.
    const run = () => {
      const stages: StageOutput[] = [];
      const sampled = samplePathways(clip, this.config);
      let slow = plan[0].slow ? sampled.slow : null;
      let fast = plan[0].fast ? sampled.fast : null;
      const record = (i: number) => {
        const p = plan[i];
        if (slow && p.slow) assertShape(`${p.name} (slow pathway)`, p.slow, slow.shape);
        if (fast && p.fast) assertShape(`${p.name} (fast pathway)`, p.fast, fast.shape);
        if (intermediates) stages.push({ name: p.name, slow, fast });
      };
      record(0);
      this.steps.forEach((step, i) => {
        if (step.kind === "map") {
          if (step.slow && slow) slow = step.slow.apply(slow, training);
          if (step.fast && fast) fast = step.fast.apply(fast, training);
        } else if (slow && fast) {
          slow = fuse(slow, step.lateral.apply(fast));
        }
        record(i + 1);
      });
      const logits = this.head.apply(slow, fast, training, dropoutSeed);
      return { logits, stages };
    };
    return tf.tidy(run as unknown as () => tf.TensorContainer) as unknown as ForwardResult;
  }

  /** Eval-mode logits [N, numClasses]. */
  predict(clip: tf.Tensor5D): tf.Tensor2D {
    return this.forward(clip).logits;
  }

  paramCounts(): ParamCounts {
    const p = this.params;
    return { total: p.count(), slow: p.count("slow.", "lateral."), laterals: p.count("lateral."), fast: p.count("fast."), head: p.count("head.") };
  }

  trainableVariables(): tf.Variable[] {
    return this.params.trainableVariables();
  }

  dispose(): void {
    this.params.dispose();
  }
}
