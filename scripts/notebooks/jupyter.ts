// Finding Jupyter and registering this project's tslab kernel, shared by `npm run lab`, the
// notebook runner and the end-to-end test.
//
// Python: $SLOWFAST_JUPYTER_PYTHON, else ./.venv/bin/python, else python3 (the first that has the
// modules asked for). The kernel spec goes to ./.jupyter-env (gitignored) and points at this
// project's node_modules/.bin/tslab, so the kernel and src/notebook share one tslab instance;
// JUPYTER_PATH tells Jupyter where it is. Nothing is installed into the user's Jupyter.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
const PREFIX = join(ROOT, ".jupyter-env");
const TSLAB = join(ROOT, "node_modules", ".bin", "tslab");

const INSTALL_HELP =
  "Install JupyterLab into a virtual environment in the repository:\n" +
  "  python3 -m venv .venv && .venv/bin/pip install jupyterlab nbclient\n" +
  "or point SLOWFAST_JUPYTER_PYTHON at a python that has them.";

/** The python interpreter that can import every module in `modules`; exits with help if none. */
export function findPython(modules: string[]): string {
  const candidates = [process.env.SLOWFAST_JUPYTER_PYTHON, join(ROOT, ".venv", "bin", "python"), "python3"].filter((p): p is string => !!p);
  for (const py of candidates) {
    if (py.includes("/") && !existsSync(py)) continue;
    const r = spawnSync(py, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  console.error(`Jupyter not found: no python among ${candidates.join(", ")} can import ${modules.join(", ")}.\n${INSTALL_HELP}`);
  process.exit(2);
}

/** Registers the tslab kernel under .jupyter-env (again if it points elsewhere); returns the env to run Jupyter with. */
export function kernelEnv(python: string): NodeJS.ProcessEnv {
  const spec = join(PREFIX, "share", "jupyter", "kernels", "tslab", "kernel.json");
  const current = existsSync(spec) ? (JSON.parse(readFileSync(spec, "utf8")) as { argv: string[] }).argv[0] : "";
  if (current !== TSLAB) {
    if (!existsSync(TSLAB)) {
      console.error(`tslab is not installed (${TSLAB} missing): run \`npm install\``);
      process.exit(2);
    }
    execFileSync(TSLAB, ["install", `--python=${python}`, `--prefix=${PREFIX}`, `--binary=${TSLAB}`], { stdio: "ignore" });
  }
  return {
    ...process.env,
    JUPYTER_PATH: [join(PREFIX, "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(":"),
    TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? "2",
    // Stack traces from dist/ point at the src/ lines a learner edits.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, "--enable-source-maps"].filter(Boolean).join(" "),
  };
}
