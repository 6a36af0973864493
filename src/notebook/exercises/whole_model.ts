// Checkers for notebook 06 (the whole model): predict a SlowFast's parameter count by arithmetic.
import { presetConfig, type SlowFastConfig } from "../../model/config";
import { SlowFast } from "../../model/slowfast";
import { call, check, type CheckResult, expectEqual } from "../check";

/** Trainable parameters of the library's model for `cfg` (builds it: keep cfg small). */
export function paramsFromLibrary(cfg: SlowFastConfig): number {
  const model = new SlowFast(cfg);
  try {
    return model.paramCounts().total;
  } finally {
    model.dispose();
  }
}

/** Small bottleneck variants the checker builds (cheap), each changing one thing. */
export function predictParamsCases(): { what: string; cfg: SlowFastConfig }[] {
  const t = (what: string, overrides: Partial<SlowFastConfig>) => ({ what, cfg: presetConfig("slowfast_test", overrides) });
  const base = presetConfig("slowfast_test");
  return [
    t("slowfast_test", {}),
    t("slowfast_test, 101 classes", { numClasses: 101 }),
    t("slowfast_test, betaInv 2", { betaInv: 2 }),
    t("slowfast_test, width 16, betaInv 8", { width: 16, betaInv: 8 }),
    t("slowfast_test, blocks (3,4,6,3)", { stageBlocks: [3, 4, 6, 3] }),
    t("slowfast_test, lateral kernel 7", { lateral: { kind: "time_strided_conv", kernelT: 7 } }),
    t("slowfast_test, time_to_channel laterals", { lateral: { kind: "time_to_channel", kernelT: 5 } }),
    t("slowfast_test, time_strided_sample laterals", { lateral: { kind: "time_strided_sample", kernelT: 5 } }),
    t("slowfast_test, slow inflated everywhere, fast conv1 (3,7,7)", { slow: { ...base.slow, inflate: [1, 1, 1, 1] }, fast: { conv1Kernel: [3, 7, 7], inflate: [1, 1, 1, 1] } }),
  ];
}

/** The reference's full-size counts (mmaction2's metafile; test/notebook-exercises-late.test.ts checks the library gives them). */
export const R50_PARAMS = { slowfast_r50_4x16x1: 34_479_288, slowfast_r50_8x8x1: 34_565_560 } as const;

/** 6.1: the parameter count of any bottleneck SlowFast config, by arithmetic alone. */
export function checkPredictParams(predict: (cfg: SlowFastConfig) => number): CheckResult {
  return check("6.1", "predict the parameter count of a SlowFast variant", () => {
    for (const [name, count] of Object.entries(R50_PARAMS)) {
      expectEqual(`parameters of ${name}`, count, call("predictParams", () => predict(presetConfig(name))));
    }
    for (const { what, cfg } of predictParamsCases()) {
      expectEqual(`parameters of ${what}`, paramsFromLibrary(cfg), call("predictParams", () => predict(cfg)));
    }
  });
}
