// The stem of one pathway: conv1 (kernel (kt,7,7), stride (1,2,2)) + BN + ReLU, then a (1,3,3)
// max pool with stride (1,2,2) and padding (0,1,1). Neither changes the number of frames:
// slow (1,7,7): [N,4,224,224,3] -> conv1 [N,4,112,112,64] -> maxpool [N,4,56,56,64]
// fast (5,7,7): [N,32,224,224,3] -> conv1 [N,32,112,112,8] -> maxpool [N,32,56,56,8]
import { tf } from "../backend";
import type { PathwayConfig } from "./config";
import type { Layer } from "./layer";
import { type BatchNormOptions } from "./layers/batchnorm";
import { ConvModule } from "./layers/conv_module";
import type { ParamScope } from "./params";
import { type Shape5, windowShape } from "./shape";

export function stemConv(scope: ParamScope, pathway: PathwayConfig, cout: number, norm: BatchNormOptions): ConvModule {
  const [kt, kh, kw] = pathway.conv1Kernel;
  return new ConvModule(scope, {
    cin: 3,
    cout,
    kernel: pathway.conv1Kernel,
    stride: [1, 2, 2],
    padding: [(kt - 1) / 2, (kh - 1) / 2, (kw - 1) / 2].map(Math.floor) as unknown as [number, number, number],
    norm,
    relu: true,
  });
}

/**
 * Max pool (1,3,3), stride (1,2,2), padding (0,1,1), run as a 2D pool over [N*T, H, W, C].
 * Padded with -Infinity as PyTorch's MaxPool3d, so padding never wins whatever the input's sign
 * (test/stem-pool.test.ts); the pad is explicit because TF's "same" pads 0 before / 1 after at stride 2.
 */
export class StemMaxPool implements Layer {
  outShape(x: Shape5): Shape5 {
    return windowShape(x, [1, 3, 3], [1, 2, 2], [0, 1, 1], x[4]);
  }

  macs(): number {
    return 0;
  }

  apply(x: tf.Tensor5D): tf.Tensor5D {
    const [n, t, h, w, c] = x.shape;
    return tf.tidy(() => {
      const padded = tf.pad(x.reshape([n * t, h, w, c]) as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]], -Infinity);
      return tf.maxPool(padded, 3, 2, "valid").reshape(this.outShape(x.shape));
    });
  }
}
