// Lateral connections: fast-pathway features, squeezed to the slow frame rate, are concatenated to
// the slow pathway's channels after the stem and after res2, res3, res4 (never after res5).
// The three variants of the paper (section 3.4), for fast features [N, alpha*Ts, H, W, C]:
//   time_strided_conv   (default, mmaction2) Conv3d C -> 2C, kernel (k,1,1), stride (alpha,1,1),
//                       padding ((k-1)/2,0,0), no bias, no BN or ReLU  -> [N, Ts, H, W, 2C]
//   time_to_channel     stack each group of alpha frames into channels -> [N, Ts, H, W, alpha*C]
//   time_strided_sample keep one frame in alpha                         -> [N, Ts, H, W, C]
// LateralKind "none" builds no Lateral at all: SlowFast then adds no fuse_* steps (slowfast.ts).
import { tf } from "../backend";
import type { LateralKind } from "./config";
import type { Layer } from "./layer";
import { Conv3d } from "./layers/conv3d";
import type { ParamScope } from "./params";
import type { Shape5 } from "./shape";

export class Lateral implements Layer {
  readonly conv: Conv3d | null;
  readonly outChannels: number;

  constructor(scope: ParamScope, readonly kind: LateralKind, readonly fastChannels: number, readonly alpha: number, kernelT: number) {
    if (kind === "none") throw new Error(`Lateral: kind "none" has no layer; build no lateral step instead (SlowFast does so)`);
    if (kind === "time_strided_conv") {
      this.conv = new Conv3d(scope.child("conv"), {
        cin: fastChannels,
        cout: 2 * fastChannels,
        kernel: [kernelT, 1, 1],
        stride: [alpha, 1, 1],
        padding: [(kernelT - 1) / 2, 0, 0],
      });
      this.outChannels = 2 * fastChannels;
    } else {
      this.conv = null;
      this.outChannels = kind === "time_to_channel" ? alpha * fastChannels : fastChannels;
    }
  }

  outShape(x: Shape5): Shape5 {
    if (this.conv) return this.conv.outShape(x);
    return [x[0], Math.floor(x[1] / this.alpha), x[2], x[3], this.outChannels];
  }

  macs(x: Shape5): number {
    return this.conv ? this.conv.macs(x) : 0;
  }

  /** fast: [N, Tf, H, W, C] -> [N, Tf/alpha, H, W, outChannels] */
  apply(fast: tf.Tensor5D): tf.Tensor5D {
    if (this.conv) return this.conv.apply(fast);
    const [n, tf_, h, w, c] = fast.shape;
    const ts = Math.floor(tf_ / this.alpha);
    return tf.tidy(() => {
      const groups = fast.slice([0, 0, 0, 0, 0], [n, ts * this.alpha, h, w, c]).reshape([n, ts, this.alpha, h, w, c]);
      if (this.kind === "time_to_channel") {
        // [N, Ts, alpha, H, W, C] -> [N, Ts, H, W, alpha, C] -> [N, Ts, H, W, alpha*C]
        return groups.transpose([0, 1, 3, 4, 2, 5]).reshape([n, ts, h, w, this.alpha * c]) as tf.Tensor5D;
      }
      // time_strided_sample: the first frame of each group, i.e. frames 0, alpha, 2*alpha, ...
      return groups.slice([0, 0, 0, 0, 0, 0], [n, ts, 1, h, w, c]).reshape([n, ts, h, w, c]) as tf.Tensor5D;
    });
  }
}

/** Fusion: slow [N,Ts,H,W,Cs] ++ lateral(fast) [N,Ts,H,W,Cl] along channels -> [N,Ts,H,W,Cs+Cl]. */
export function fuse(slow: tf.Tensor5D, lateral: tf.Tensor5D): tf.Tensor5D {
  return tf.concat([slow, lateral], 4);
}
