// Checker for notebook 09 (pretrained weights), against src/model/mmaction2_keys.ts.
import { tf } from "../../backend";
import { toKitLayout } from "../../model/mmaction2_keys";
import { check, expectCloseFrom } from "../check";

/** PyTorch conv weights [out, in, t, h, w]: a stem, a lateral, a bottleneck's 1x1. */
const CONV_SHAPES: [number, number, number, number, number][] = [
  [8, 3, 5, 7, 7],
  [16, 8, 5, 1, 1],
  [32, 12, 1, 1, 1],
];

/** 9.1: an mmaction2 conv weight [out, in, t, h, w] -> tf.conv3d's filter [t, h, w, in, out]. */
export function checkConvLayout(toKit: (w: tf.Tensor5D) => tf.Tensor5D): void {
  return check("9.1", "conv weight layout: PyTorch [out, in, t, h, w] -> tf.conv3d [t, h, w, in, out]", () => {
    CONV_SHAPES.forEach((shape, i) => {
      const w = tf.randomNormal(shape, 0, 1, "float32", 90 + i) as tf.Tensor5D;
      try {
        expectCloseFrom(`toKit(w [${shape}])`, toKitLayout(w), () => toKit(w), [w]);
      } finally {
        w.dispose();
      }
    });
  }, toKit);
}
