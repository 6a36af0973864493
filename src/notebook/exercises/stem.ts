// Checkers for notebook 02 (stems), against src/model/stem.ts and src/model/shape.ts.
import type { Triple } from "../../model/config";
import { ParamStore } from "../../model/params";
import { type Shape5, windowOut } from "../../model/shape";
import { stemConv, StemMaxPool } from "../../model/stem";
import { call, check, expectEqual, expectShape } from "../check";

/** 2.1: output length of a conv or pool window along one axis. */
export function checkConvOutSize(outSize: (size: number, kernel: number, stride: number, pad: number) => number): void {
  return check("2.1", "output size of a window along one axis", () => {
    for (const [size, k, s, p] of [[224, 7, 2, 3], [112, 3, 2, 1], [256, 7, 2, 3], [171, 7, 2, 3], [32, 5, 1, 2], [4, 1, 1, 0], [57, 3, 2, 1]]) {
      expectEqual(`outSize(size=${size}, kernel=${k}, stride=${s}, pad=${p})`, windowOut(size, k, s, p), call("outSize", () => outSize(size, k, s, p)));
    }
  }, outSize);
}

/** The library's stem for one pathway (conv1 + BN + ReLU), its weights in a throw-away store. */
function withLibraryStem<T>(kernel: Triple, cout: number, use: (conv1: ReturnType<typeof stemConv>, store: ParamStore) => T): T {
  const store = new ParamStore(0);
  try {
    return use(stemConv(store.scope("stem"), { conv1Kernel: kernel, inflate: [0, 0, 0, 0] }, cout, { eps: 1e-5, momentum: 0.1 }), store);
  } finally {
    store.dispose();
  }
}

/** The stem's conv1 and maxpool shapes for one pathway, from the library's layers. */
function stemShapes(input: Shape5, kernel: Triple, cout: number): { conv1: Shape5; maxpool: Shape5 } {
  return withLibraryStem(kernel, cout, (conv1) => {
    const c1 = conv1.outShape(input);
    return { conv1: c1, maxpool: new StemMaxPool().outShape(c1) };
  });
}

/** 2.2: predict a pathway's stem shapes (after conv1 and after maxpool) for any input. */
export function checkStemShapes(predict: (input: Shape5, kernel: Triple, cout: number) => { conv1: number[]; maxpool: number[] }): void {
  return check("2.2", "stem output shapes for other inputs", () => {
    const cases: [Shape5, Triple, number][] = [
      [[1, 4, 256, 256, 3], [1, 7, 7], 64],
      [[1, 32, 256, 256, 3], [5, 7, 7], 8],
      [[2, 8, 171, 128, 3], [1, 7, 7], 64],
      [[1, 16, 112, 112, 3], [5, 7, 7], 8],
    ];
    for (const [input, kernel, cout] of cases) {
      const want = stemShapes(input, kernel, cout);
      const got = call("predictStemShapes", () => predict(input, kernel, cout));
      const what = `input ${JSON.stringify(input)}, kernel ${JSON.stringify(kernel)}, ${cout} channels`;
      expectShape(`conv1 for ${what}`, want.conv1, got?.conv1);
      expectShape(`maxpool for ${what}`, want.maxpool, got?.maxpool);
    }
  }, predict);
}

/** Trainable parameters of the library's stem conv (conv + BN) for this kernel and width. */
export function stemParamsFromLibrary(kernel: Triple, cout: number): number {
  return withLibraryStem(kernel, cout, (_, store) => store.count());
}

/** 2.3: count the stem's trainable parameters (conv1 weights + batch-norm). */
export function checkStemParams(count: (kernel: Triple, cin: number, cout: number) => number): void {
  return check("2.3", "stem parameter count", () => {
    for (const [kernel, cout] of [[[1, 7, 7], 64], [[5, 7, 7], 8], [[3, 7, 7], 32]] as [Triple, number][]) {
      expectEqual(`stem params for kernel ${JSON.stringify(kernel)}, 3 -> ${cout} channels`, stemParamsFromLibrary(kernel, cout), call("stemParams", () => count(kernel, 3, cout)));
    }
  }, count);
}

