// A SlowFast model's weights as plain tensors, in the shapes the exercises of notebooks 01-05 take
// them (4.1's ConvBnWeights, 4.2's BottleneckWeights, 3.1's lateral weight, 5.1's fc), so that
// notebook 06 can wire those exercise functions into a whole forward pass. Also the
// slowfast_test weights that mmaction2's own code wrote (the parity fixture, read synchronously).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { tf } from "../../backend";
import { buildModel, stateDictOf } from "../../interop/mmaction2";
import { parseTorchFile } from "../../interop/torch_file";
import { ResidualBlock, ResStage } from "../../model/blocks";
import { presetConfig } from "../../model/config";
import { ConvModule } from "../../model/layers/conv_module";
import { SlowFast } from "../../model/slowfast";
import { REPO_ROOT } from "../setup";
import { bottleneckWeights, convBnWeights, type BottleneckWeights, type ConvBnWeights } from "./blocks";

/** One pathway: its stem conv (+ BN + ReLU) and the blocks of res2..res5 (stages[i][b]: block b of stage i). */
export interface PathwayWeights {
  stem: ConvBnWeights;
  stages: BottleneckWeights[][];
}

/** The slow stages a lateral feeds: the fusion after the stem (maxpool), res2, res3 and res4. */
export type LateralSite = "conv1" | "res2" | "res3" | "res4";

/** Every weight of a bottleneck SlowFast with time-strided-conv laterals (they belong to the model: do not dispose). */
export interface SlowFastWeights {
  /** Input frames, and the temporal strides of notebook 01. */
  frames: number;
  tau: number;
  alpha: number;
  slow: PathwayWeights;
  fast: PathwayWeights;
  /** The lateral conv feeding the slow pathway after each site, [kt, 1, 1, C, 2C] (3.1's weight). */
  laterals: Record<LateralSite, tf.Tensor5D>;
  /** fc: weight [C_fast + C_slow, classes] (fast rows first), bias [classes]. */
  head: { weight: tf.Tensor2D; bias: tf.Tensor1D };
}

/** The slowfast_test weights that mmaction2's code wrote with random values and random BN statistics (test/fixtures; `npm run fixtures`). */
export const TEST_WEIGHTS_FILE = join(REPO_ROOT, "test", "fixtures", "mmaction2", "slowfast_test", "weights.pth");

/** slowfast_test with the weights of TEST_WEIGHTS_FILE (the caller disposes it). */
export function testWeightsModel(): SlowFast {
  const sd = stateDictOf(TEST_WEIGHTS_FILE, parseTorchFile(readFileSync(TEST_WEIGHTS_FILE)));
  return buildModel(TEST_WEIGHTS_FILE, sd, presetConfig("slowfast_test"));
}

function stemWeights(layer: unknown, pathway: string): ConvBnWeights {
  if (!(layer instanceof ConvModule) || !layer.bn) throw new Error(`slowFastWeights: the ${pathway} stem is not a conv + batch norm`);
  return convBnWeights(layer);
}

function stageBlocks(layer: unknown, where: string): BottleneckWeights[] {
  if (!(layer instanceof ResStage)) throw new Error(`slowFastWeights: ${where} is not a residual stage`);
  return layer.blocks.map((b: ResidualBlock) => bottleneckWeights(b));
}

/** The plain-tensor view of a library model (bottleneck blocks, both pathways, time-strided-conv laterals). */
export function slowFastWeights(model: SlowFast): SlowFastWeights {
  const cfg = model.config;
  if (cfg.block !== "bottleneck" || cfg.pathways !== "slowfast" || cfg.lateral.kind !== "time_strided_conv") {
    throw new Error(`slowFastWeights: needs bottleneck blocks, both pathways and time_strided_conv laterals (preset ${cfg.name} has ${cfg.block}, ${cfg.pathways}, ${cfg.lateral.kind})`);
  }
  const laterals: Partial<Record<LateralSite, tf.Tensor5D>> = {};
  const slow: PathwayWeights = { stem: stemWeights(model.steps[0].kind === "map" && model.steps[0].slow, "slow"), stages: [] };
  const fast: PathwayWeights = { stem: stemWeights(model.steps[0].kind === "map" && model.steps[0].fast, "fast"), stages: [] };
  for (const step of model.steps) {
    if (step.kind === "fuse") {
      laterals[step.name.replace(/^fuse_/, "") as LateralSite] = step.lateral.conv!.weight as tf.Tensor as tf.Tensor5D;
    } else if (step.name.startsWith("res")) {
      slow.stages.push(stageBlocks(step.slow, `slow.${step.name}`));
      fast.stages.push(stageBlocks(step.fast, `fast.${step.name}`));
    }
  }
  const head = { weight: model.head.weight as tf.Tensor as tf.Tensor2D, bias: model.head.bias as tf.Tensor as tf.Tensor1D };
  return { frames: cfg.frames, tau: cfg.tau, alpha: cfg.alpha, slow, fast, laterals: laterals as Record<LateralSite, tf.Tensor5D>, head };
}
