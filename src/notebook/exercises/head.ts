// Checkers for notebook 05 (the head), against src/model/head.ts.
import { tf } from "../../backend";
import { type ConcatOrder, SlowFastHead } from "../../model/head";
import { ParamStore } from "../../model/params";
import { check, expectCloseFrom } from "../check";

/** The library head's eval-mode logits for the given fc weight [Cin, K] and bias [K]. */
export function libraryHeadLogits(slow: tf.Tensor5D, fast: tf.Tensor5D, weight: tf.Tensor2D, bias: tf.Tensor1D, order: ConcatOrder = "fast_slow"): tf.Tensor2D {
  const store = new ParamStore(0);
  try {
    const head = new SlowFastHead(store.scope("head"), weight.shape[0], weight.shape[1], 0.5, 0.01, order);
    head.weight.assign(weight);
    head.bias.assign(bias);
    return head.apply(slow, fast, false);
  } finally {
    store.dispose();
  }
}

interface HeadCase {
  slow: [number, number, number, number, number];
  fast: [number, number, number, number, number];
  classes: number;
}

const CASES: HeadCase[] = [
  { slow: [2, 2, 3, 3, 16], fast: [2, 8, 3, 3, 4], classes: 5 },
  { slow: [1, 4, 2, 2, 32], fast: [1, 16, 2, 2, 8], classes: 7 },
];

function withHeadCase(body: (slow: tf.Tensor5D, fast: tf.Tensor5D, weight: tf.Tensor2D, bias: tf.Tensor1D, what: string) => void): void {
  CASES.forEach((c, i) => {
    const cin = c.slow[4] + c.fast[4];
    const t = tf.tidy(() => ({
      slow: tf.relu(tf.randomNormal(c.slow, 0.5, 1, "float32", 10 + i)) as tf.Tensor5D,
      fast: tf.relu(tf.randomNormal(c.fast, 0, 2, "float32", 20 + i)) as tf.Tensor5D,
      weight: tf.randomNormal([cin, c.classes], 0, 1, "float32", 30 + i) as tf.Tensor2D,
      bias: tf.randomNormal([c.classes], 0, 1, "float32", 40 + i) as tf.Tensor1D,
    }));
    try {
      body(t.slow, t.fast, t.weight, t.bias, `slow ${JSON.stringify(c.slow)}, fast ${JSON.stringify(c.fast)}, ${c.classes} classes`);
    } finally {
      tf.dispose(t);
    }
  });
}


/** 5.1: eval-mode head: pool each pathway, concatenate fast then slow, fc. */
export function checkHeadLogits(head: (slow: tf.Tensor5D, fast: tf.Tensor5D, weight: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D): void {
  return check("5.1", "head logits (average pool, fast-then-slow concat, fc)", () => {
    withHeadCase((slow, fast, weight, bias, what) => {
      expectCloseFrom(`logits for ${what}`, libraryHeadLogits(slow, fast, weight, bias), () => head(slow, fast, weight, bias), [slow, fast, weight, bias]);
    });
  }, head);
}

/** The fc weight a fast-then-slow head needs to compute what a slow-then-fast head computes with `weight`. */
export function reorderedWeight(weight: tf.Tensor2D, slowChannels: number): tf.Tensor2D {
  return tf.tidy(() => tf.concat([weight.slice([slowChannels, 0], [-1, -1]), weight.slice([0, 0], [slowChannels, -1])], 0) as tf.Tensor2D);
}

/** 5.2: convert an fc weight trained with PySlowFast's slow-then-fast concat for mmaction2's head. */
export function checkReorderWeight(reorder: (weight: tf.Tensor2D, slowChannels: number, fastChannels: number) => tf.Tensor2D): void {
  return check("5.2", "fc weight from slow-then-fast to fast-then-slow order", () => {
    withHeadCase((slow, fast, weight, bias, what) => {
      const s = slow.shape[4];
      const f = fast.shape[4];
      expectCloseFrom(`reorder(weight [${s + f}, ${weight.shape[1]}], ${s}, ${f})`, reorderedWeight(weight, s), () => reorder(weight, s, f), [weight]);
      // And what it is for: the mmaction2-order head with the converted weight gives PySlowFast's logits.
      const pyslowfast = libraryHeadLogits(slow, fast, weight, bias, "slow_fast");
      const converted = tf.tidy(() => reorder(weight, s, f));
      try {
        expectCloseFrom(`fast-then-slow head with your converted weight vs slow-then-fast head, ${what}`, pyslowfast, () => libraryHeadLogits(slow, fast, converted, bias, "fast_slow"), []);
      } finally {
        if (converted !== weight) converted.dispose();
      }
    });
  }, reorder);
}
