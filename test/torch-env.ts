// Where the PyTorch side of the weights tests runs: the project's .venv with torch (CI installs it
// from the local pip index), and, for tests that build mmaction2's real model,
// ../shared/reference/mmaction2 on PYTHONPATH. Tests skip with the reason when either is missing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
export const MMACTION2_REF = resolve(ROOT, "..", "shared", "reference", "mmaction2");

export interface TorchEnv {
  /** false when available, else the reason to skip. */
  skip: string | false;
  python: string;
  /** scripts/reference/torch_check.py */
  script: string;
  env: NodeJS.ProcessEnv;
}

let probed: string | false | undefined;

export function torchCheck(opts: { needsMmaction2: boolean }): TorchEnv {
  const python = process.env.SLOWFAST_TORCH_PYTHON ?? join(ROOT, ".venv", "bin", "python");
  if (probed === undefined) {
    if (!existsSync(python)) probed = `no ${python}: PyTorch tests need .venv with torch (.venv/bin/pip install "torch==2.13.0+cpu" numpy)`;
    else {
      const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8" });
      probed = r.status === 0 ? false : `PyTorch is not installed in ${python} (.venv/bin/pip install "torch==2.13.0+cpu" numpy): ${(r.stderr || "").trim().split("\n").pop()}`;
    }
  }
  let skip = probed;
  if (!skip && opts.needsMmaction2 && !existsSync(join(MMACTION2_REF, "mmaction"))) skip = `mmaction2's reference code is not at ${MMACTION2_REF}`;
  return {
    skip,
    python,
    script: join(ROOT, "scripts", "reference", "torch_check.py"),
    env: { ...process.env, PYTHONPATH: MMACTION2_REF, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? "2" },
  };
}
