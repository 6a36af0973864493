// Checkers for notebook 04 (residual stages), against src/model/blocks.ts: a conv + BN (+ ReLU) and
// a whole bottleneck block, in eval mode, on fixed weights taken from the library's own block.
import { tf } from "../../backend";
import { type BlockSpec, ResidualBlock } from "../../model/blocks";
import type { ConvModule } from "../../model/layers/conv_module";
import { ParamStore } from "../../model/params";
import { batchNormStatsSeed } from "../../util/seed";
import { check, expectCloseFrom } from "../check";

/** One conv + batch norm of a block, as plain tensors (they belong to the block: do not dispose). */
export interface ConvBnWeights {
  /** [kt, kh, kw, cin, cout] */
  weight: tf.Tensor5D;
  /** Batch norm: y = (x - mean) / sqrt(variance + eps) * gamma + beta, per channel. [cout] each. */
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  eps: number;
}

/** A bottleneck block's weights: conv1 (kt,1,1), conv2 (1,3,3), conv3 (1,1,1), optional projection. */
export interface BottleneckWeights {
  conv1: ConvBnWeights;
  conv2: ConvBnWeights;
  conv3: ConvBnWeights;
  /** The shortcut's (1,1,1) conv + BN, or null when the shortcut is the input itself. */
  downsample: ConvBnWeights | null;
  /** Spatial stride of the block (1 or 2). */
  stride: number;
}

/** A conv + BN module's weights as the exercises take them (the module keeps ownership). */
export function convBnWeights(m: ConvModule): ConvBnWeights {
  if (!m.bn) throw new Error("this conv has no batch norm");
  return {
    weight: m.conv.weight as tf.Tensor as tf.Tensor5D,
    gamma: m.bn.gamma as tf.Tensor as tf.Tensor1D,
    beta: m.bn.beta as tf.Tensor as tf.Tensor1D,
    mean: m.bn.runningMean as tf.Tensor as tf.Tensor1D,
    variance: m.bn.runningVar as tf.Tensor as tf.Tensor1D,
    eps: m.bn.options.eps,
  };
}

/** The weights of a library bottleneck block, as the exercise takes them. */
export function bottleneckWeights(block: ResidualBlock): BottleneckWeights {
  const [conv1, conv2, conv3] = block.convs.map(convBnWeights);
  if (!conv3) throw new Error("not a bottleneck block (it has two convs, not three)");
  return { conv1, conv2, conv3, downsample: block.downsample ? convBnWeights(block.downsample) : null, stride: block.convs[1].conv.stride[1] };
}

/**
 * Gives every batch norm of a block random statistics and affine parameters (gamma in 0.5..1.5,
 * also for the zero-initialised last one), as after training: otherwise the freshly built block's
 * BNs are identities and its last one multiplies by 0, and a wrong forward could go unnoticed.
 */
export function randomizeBatchNorm(block: ResidualBlock, seed: number): void {
  const modules = [...block.convs, ...(block.downsample ? [block.downsample] : [])];
  modules.forEach((m, i) => {
    if (!m.bn) return;
    const c = m.bn.channels;
    const s = batchNormStatsSeed(seed, i);
    tf.tidy(() => {
      m.bn!.gamma.assign(tf.randomUniform([c], 0.5, 1.5, "float32", s));
      m.bn!.beta.assign(tf.randomUniform([c], -0.5, 0.5, "float32", s + 1));
      m.bn!.runningMean.assign(tf.randomUniform([c], -0.5, 0.5, "float32", s + 2));
      m.bn!.runningVar.assign(tf.randomUniform([c], 0.5, 2, "float32", s + 3));
    });
  });
}

interface Case {
  spec: Omit<BlockSpec, "kind" | "norm" | "zeroInitResidual">;
  input: [number, number, number, number, number];
}

// A projecting first block with stride 2 and an inflated conv1, an identity block, a projection
// without stride (channels change), all small.
const CASES: Case[] = [
  { spec: { inplanes: 20, planes: 8, spatialStride: 2, inflate: true }, input: [1, 4, 9, 8, 20] },
  { spec: { inplanes: 32, planes: 8, spatialStride: 1, inflate: false }, input: [2, 3, 6, 6, 32] },
  { spec: { inplanes: 12, planes: 4, spatialStride: 1, inflate: true }, input: [1, 5, 7, 7, 12] },
];

/** Builds each case's block (random BN), runs `body`, frees everything. */
function withBlocks(body: (block: ResidualBlock, x: tf.Tensor5D, what: string) => void): void {
  CASES.forEach((c, i) => {
    const store = new ParamStore(40 + i);
    const x = tf.randomNormal(c.input, 0, 1, "float32", 300 + i) as tf.Tensor5D;
    try {
      const block = new ResidualBlock(store.scope("block"), { ...c.spec, kind: "bottleneck", norm: { eps: 1e-5, momentum: 0.1 }, zeroInitResidual: true });
      randomizeBatchNorm(block, i + 1);
      const s = c.spec;
      body(block, x, `input ${JSON.stringify(c.input)}, ${s.inplanes} -> ${s.planes * 4} channels, stride ${s.spatialStride}${s.inflate ? ", inflated" : ""}`);
    } finally {
      x.dispose();
      store.dispose();
    }
  });
}


/** 4.1: conv (PyTorch padding (k-1)/2 per axis) + eval-mode batch norm (+ ReLU). */
export function checkConvBn(convBn: (x: tf.Tensor5D, p: ConvBnWeights, stride: [number, number, number], relu: boolean) => tf.Tensor5D): void {
  return check("4.1", "conv + batch norm (+ ReLU), eval mode", () => {
    withBlocks((block, x, what) => {
      const [m1, m2] = block.convs;
      // conv1 (kt,1,1) with ReLU on the input; conv2 (1,3,3) with the block's stride, on conv1's output.
      expectCloseFrom(`conv1 for ${what}`, tf.tidy(() => m1.apply(x, false)), () => convBn(x, convBnWeights(m1), [1, 1, 1], true));
      const h = tf.tidy(() => m1.apply(x, false));
      try {
        const s = m2.conv.stride;
        expectCloseFrom(`conv2 (stride ${JSON.stringify(s)}) for ${what}`, tf.tidy(() => m2.apply(h, false)), () => convBn(h, convBnWeights(m2), [...s] as [number, number, number], true));
      } finally {
        h.dispose();
      }
      const m3 = block.convs[2];
      const h3 = tf.tidy(() => tf.relu(tf.randomNormal([1, 2, 3, 3, m3.conv.cin], 0, 1, "float32", 9)) as tf.Tensor5D);
      try {
        expectCloseFrom(`conv3 (no ReLU) for ${what}`, tf.tidy(() => m3.apply(h3, false)), () => convBn(h3, convBnWeights(m3), [1, 1, 1], false));
      } finally {
        h3.dispose();
      }
    });
    checkNearZeroVariance(convBn);
  }, convBn);
}

/**
 * Running variances of 0 .. 1e-5 (a channel that hardly varies, as after training): with them, a
 * batch norm that leaves out eps divides by zero, and one that adds eps outside the square root
 * divides by 1e-5 instead of sqrt(1e-5). With variances near 1 both mistakes are invisible.
 */
function checkNearZeroVariance(convBn: (x: tf.Tensor5D, p: ConvBnWeights, stride: [number, number, number], relu: boolean) => tf.Tensor5D): void {
  const store = new ParamStore(43);
  const x = tf.randomNormal([1, 3, 5, 5, 6], 0, 1, "float32", 310) as tf.Tensor5D;
  try {
    const block = new ResidualBlock(store.scope("block"), { inplanes: 6, planes: 4, spatialStride: 1, inflate: true, kind: "bottleneck", norm: { eps: 1e-5, momentum: 0.1 }, zeroInitResidual: true });
    randomizeBatchNorm(block, 7);
    const m1 = block.convs[0];
    const variances = [0, 1e-7, 1e-6, 1e-5];
    tf.tidy(() => m1.bn!.runningVar.assign(tf.tensor1d(variances)));
    const e = (v: number) => (v === 0 ? "0" : v.toExponential(0));
    const what = `conv1 (3,1,1) of input [1, 3, 5, 5, 6] with running variances ${variances.map(e).join(", ")} (eps ${e(m1.bn!.options.eps)} belongs inside the square root)`;
    expectCloseFrom(what, tf.tidy(() => m1.apply(x, false)), () => convBn(x, convBnWeights(m1), [1, 1, 1], true));
  } finally {
    x.dispose();
    store.dispose();
  }
}

/** 4.2: a whole bottleneck block, eval mode, on the library block's weights. */
export function checkBottleneck(bottleneck: (x: tf.Tensor5D, w: BottleneckWeights) => tf.Tensor5D): void {
  return check("4.2", "bottleneck block forward (eval mode)", () => {
    withBlocks((block, x, what) => {
      expectCloseFrom(`bottleneck for ${what}`, block.apply(x, false), () => bottleneck(x, bottleneckWeights(block)));
    });
  }, bottleneck);
}
