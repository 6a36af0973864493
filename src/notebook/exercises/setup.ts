// Checkers for notebook 00 (setup and orientation). Each runs the learner's function on fixed cases
// and compares with the library's answer.
import { pathwayFrames, presetConfig } from "../../model/config";
import { call, check, expectArray, expectEqual } from "../check";

/** 0.1: a PyTorch NCTHW shape -> the kit's NDHWC shape. */
export function checkToNDHWC(toNDHWC: (ncthw: readonly number[]) => number[]): void {
  return check("0.1", "NCTHW -> NDHWC", () => {
    const cases: [number[], number[]][] = [
      [[1, 3, 32, 224, 224], [1, 32, 224, 224, 3]],
      [[8, 3, 16, 64, 48], [8, 16, 64, 48, 3]],
      [[2, 64, 4, 56, 56], [2, 4, 56, 56, 64]],
    ];
    for (const [ncthw, ndhwc] of cases) expectArray(`toNDHWC(${JSON.stringify(ncthw)})`, ndhwc, call("toNDHWC", () => toNDHWC(ncthw)));
  }, toNDHWC);
}

/** 0.2: how many frames each pathway sees, from frames, tau and alpha. */
export function checkPathwayFrames(frames: (clipFrames: number, tau: number, alpha: number) => { slow: number; fast: number }): void {
  return check("0.2", "frames per pathway", () => {
    for (const [f, tau, alpha] of [[32, 8, 8], [32, 4, 4], [64, 16, 8], [16, 4, 2]]) {
      const want = pathwayFrames(presetConfig("slowfast_test", { frames: f, tau, alpha }));
      const got = call("pathwayFrames", () => frames(f, tau, alpha));
      expectEqual(`slow frames for ${f} frames, tau=${tau}, alpha=${alpha}`, want.slow, got.slow);
      expectEqual(`fast frames for ${f} frames, tau=${tau}, alpha=${alpha}`, want.fast, got.fast);
    }
  }, frames);
}
