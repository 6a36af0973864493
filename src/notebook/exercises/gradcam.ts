// Checkers for notebook 11 (what the network sees), against src/notebook/gradcam.ts.
import { tf } from "../../backend";
import { check, checkResult, type CheckResult, expectCloseFrom } from "../check";
import { fcCamWeights, gradCam, type PathwayName } from "../gradcam";

// Features after a ReLU (>= 0), gradients that vary over (t, h, w) and change sign, so that a
// per-position product, a sum instead of a mean, a missing ReLU or the wrong axes all differ.
const CAM_CASES: [number, number, number, number][] = [
  [4, 2, 2, 16],
  [16, 2, 2, 8],
  [3, 5, 4, 6],
];

type GradCamFn = (features: tf.Tensor5D, grads: tf.Tensor5D) => tf.Tensor3D;
type FcCamWeightsFn = (fcWeight: tf.Tensor2D, classIndex: number, pathway: PathwayName, fastChannels: number, positions: number) => tf.Tensor1D;

const GRADCAM = ["11.1", "Grad-CAM: channel weights = mean gradient over T, H, W; ReLU of the weighted sum"] as const;
const FC_WEIGHTS = ["11.2", "Grad-CAM weights from the fc: the pathway's rows (fast first) of the class column, / (T*H*W)"] as const;

/** 11.1 (prints its verdict line). */
export function checkGradCam(fn: GradCamFn): void {
  check(...GRADCAM, gradCamCases(fn), fn);
}

/** 11.1's verdict, unprinted (for tests). */
export function gradCamVerdict(fn: GradCamFn): CheckResult {
  return checkResult(...GRADCAM, gradCamCases(fn));
}

/** 11.2 (prints its verdict line). */
export function checkFcCamWeights(fn: FcCamWeightsFn): void {
  check(...FC_WEIGHTS, fcCamWeightsCases(fn), fn);
}

/** 11.2's verdict, unprinted (for tests). */
export function fcCamWeightsVerdict(fn: FcCamWeightsFn): CheckResult {
  return checkResult(...FC_WEIGHTS, fcCamWeightsCases(fn));
}

/** 11.1: cam = ReLU(sum_c w_c A_c), w_c = mean over (T, H, W) of the gradient: [1,T,H,W,C] x2 -> [T,H,W]. */
function gradCamCases(fn: GradCamFn): () => void {
  return () => {
    CAM_CASES.forEach(([t, h, w, c], i) => {
      const features = tf.tidy(() => tf.relu(tf.randomNormal([1, t, h, w, c], 0.2, 1, "float32", 50 + i))) as tf.Tensor5D;
      const grads = tf.randomNormal([1, t, h, w, c], 0, 1, "float32", 60 + i) as tf.Tensor5D;
      try {
        expectCloseFrom(`gradCam(features [1,${t},${h},${w},${c}], grads of the same shape)`, gradCam(features, grads), () => fn(features, grads), [features, grads]);
      } finally {
        tf.dispose([features, grads]);
      }
    });
  };
}

/** 11.2: the channel weights of one pathway read from the fc: its rows (fast first) of column c, / (T H W). */
function fcCamWeightsCases(fn: FcCamWeightsFn): () => void {
  return () => {
    const cases: [number, number, number, PathwayName, number][] = [
      // slow channels, fast channels, class, pathway, T*H*W
      [12, 4, 2, "fast", 16 * 2 * 2],
      [12, 4, 0, "slow", 4 * 2 * 2],
      [6, 10, 3, "slow", 3 * 3 * 3],
    ];
    cases.forEach(([cs, cf, cls, pathway, positions], i) => {
      const weight = tf.randomNormal([cf + cs, 5], 0, 1, "float32", 70 + i) as tf.Tensor2D;
      try {
        expectCloseFrom(`camWeights(fc [${cf + cs}, 5], class ${cls}, "${pathway}", ${cf} fast channels, ${positions} positions)`, fcCamWeights(weight, cls, pathway, cf, positions), () => fn(weight, cls, pathway, cf, positions), [weight]);
      } finally {
        weight.dispose();
      }
    });
  };
}
