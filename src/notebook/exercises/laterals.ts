// Checkers for notebook 03 (lateral connections), against src/model/lateral.ts.
import { tf } from "../../backend";
import type { LateralKind } from "../../model/config";
import { EXPANSION } from "../../model/blocks";
import { Lateral } from "../../model/lateral";
import { ParamStore } from "../../model/params";
import { call, check, expectArray, expectClose } from "../check";

/** The library's lateral of `kind` with `weight` [k, 1, 1, C, 2C] (time_strided_conv only) applied to `fast`. */
export function libraryLateral(fast: tf.Tensor5D, kind: LateralKind, alpha: number, weight?: tf.Tensor5D): tf.Tensor5D {
  const store = new ParamStore(0);
  try {
    const kernelT = weight ? weight.shape[0] : 5;
    const lateral = new Lateral(store.scope("lateral"), kind, fast.shape[4], alpha, kernelT);
    if (lateral.conv && weight) lateral.conv.weight.assign(weight);
    return tf.tidy(() => lateral.apply(fast));
  } finally {
    store.dispose();
  }
}

/** Runs `learner` on fixed random inputs and compares with `library`, freeing every tensor. */
function compareOnCases(
  cases: { shape: [number, number, number, number, number]; alpha: number; kernelT?: number }[],
  describe: (c: { shape: number[]; alpha: number; kernelT?: number }) => string,
  library: (fast: tf.Tensor5D, alpha: number, weight?: tf.Tensor5D) => tf.Tensor5D,
  learner: (fast: tf.Tensor5D, alpha: number, weight?: tf.Tensor5D) => tf.Tensor5D,
): void {
  cases.forEach((c, i) => {
    const fast = tf.randomNormal(c.shape, 0, 1, "float32", 100 + i) as tf.Tensor5D;
    const channels = c.shape[4];
    const weight = c.kernelT ? (tf.randomNormal([c.kernelT, 1, 1, channels, 2 * channels], 0, 1, "float32", 200 + i) as tf.Tensor5D) : undefined;
    let want: tf.Tensor5D | undefined;
    let got: unknown;
    try {
      want = library(fast, c.alpha, weight);
      // tidy frees the learner's intermediate tensors (and keeps the one returned).
      got = call("your function", () => tf.tidy(() => learner(fast, c.alpha, weight)));
      expectClose(describe(c), want, got, 1e-4);
    } finally {
      tf.dispose([fast, ...(weight ? [weight] : []), ...(want ? [want] : [])]);
      if (got && got !== fast && typeof got === "object" && "dispose" in got) (got as tf.Tensor).dispose();
    }
  });
}

/** 3.1: the time-strided convolution, with PyTorch's temporal padding (k-1)/2. */
export function checkTimeStridedConv(conv: (fast: tf.Tensor5D, weight: tf.Tensor5D, alpha: number) => tf.Tensor5D): void {
  return check("3.1", "time-strided convolution lateral (kernel (k,1,1), stride (alpha,1,1))", () => {
    compareOnCases(
      [
        { shape: [1, 32, 4, 4, 8], alpha: 8, kernelT: 5 },
        { shape: [2, 32, 3, 5, 4], alpha: 4, kernelT: 7 },
        { shape: [1, 16, 2, 2, 2], alpha: 4, kernelT: 5 },
        { shape: [1, 8, 3, 3, 4], alpha: 2, kernelT: 3 },
      ],
      (c) => `fast ${JSON.stringify(c.shape)}, alpha ${c.alpha}, kernel (${c.kernelT},1,1)`,
      (fast, alpha, w) => libraryLateral(fast, "time_strided_conv", alpha, w),
      (fast, alpha, w) => conv(fast, w!, alpha),
    );
  }, conv);
}

/** 3.2: time-to-channel: each group of alpha frames stacked into the channels. */
export function checkTimeToChannel(timeToChannel: (fast: tf.Tensor5D, alpha: number) => tf.Tensor5D): void {
  return check("3.2", "time-to-channel lateral", () => {
    compareOnCases(
      [
        { shape: [1, 32, 3, 3, 8], alpha: 8 },
        { shape: [2, 16, 2, 3, 4], alpha: 4 },
        { shape: [1, 8, 2, 2, 3], alpha: 2 },
      ],
      (c) => `timeToChannel(fast ${JSON.stringify(c.shape)}, alpha ${c.alpha})`,
      (fast, alpha) => libraryLateral(fast, "time_to_channel", alpha),
      (fast, alpha) => timeToChannel(fast, alpha),
    );
  }, timeToChannel);
}

/** Channels entering res2..res5 of the slow pathway, by the library's Lateral. */
export function slowStageInputsFromLibrary(width: number, betaInv: number, alpha: number, kind: LateralKind): number[] {
  const store = new ParamStore(0);
  try {
    const fastWidth = width / betaInv;
    const e = EXPANSION.bottleneck;
    // Stage i (res2..res5) receives the previous slow output plus the lateral of the previous fast output.
    const slowOut = [width, ...[0, 1, 2].map((i) => width * 2 ** i * e)];
    const fastOut = [fastWidth, ...[0, 1, 2].map((i) => fastWidth * 2 ** i * e)];
    return slowOut.map((s, i) => s + new Lateral(store.scope(`l${i}`), kind, fastOut[i], alpha, 5).outChannels);
  } finally {
    store.dispose();
  }
}

/** 3.3: the channels entering each slow stage (res2..res5), laterals fused in. */
export function checkSlowStageInputs(inputs: (width: number, betaInv: number, alpha: number, kind: LateralKind) => number[]): void {
  return check("3.3", "slow stage input channels (res2..res5)", () => {
    const cases: [number, number, number, LateralKind][] = [
      [64, 8, 8, "time_strided_conv"],
      [64, 8, 8, "time_to_channel"],
      [64, 8, 8, "time_strided_sample"],
      [64, 4, 4, "time_strided_conv"],
      [8, 4, 4, "time_to_channel"],
      // alpha != 1/beta: time-to-channel stacks alpha frames, whatever the width ratio.
      [64, 8, 4, "time_to_channel"],
      [32, 4, 8, "time_strided_conv"],
    ];
    for (const [width, betaInv, alpha, kind] of cases) {
      const want = slowStageInputsFromLibrary(width, betaInv, alpha, kind);
      expectArray(`inputs(width ${width}, betaInv ${betaInv}, alpha ${alpha}, "${kind}")`, want, call("slowStageInputs", () => inputs(width, betaInv, alpha, kind)));
    }
  }, inputs);
}
