// `npm run test:notebooks [-- NOTEBOOK...]`: builds dist/, then runs every notebook (learner and
// solved) through the tslab kernel with scripts/notebooks/run.py. Extra arguments are passed on
// (notebook paths, --save DIR). Slow cells run in their short mode (--short).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { buildDist } from "./dist";
import { findPython, kernelEnv, ROOT } from "./jupyter";

const python = findPython(["jupyter_client", "nbformat"]);
const env = kernelEnv(python);
buildDist();
const args = process.argv.slice(2);
const list = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(dir, f));
const notebooks = args.some((a) => a.endsWith(".ipynb")) ? [] : [...list("notebooks"), ...list("notebooks/solutions")];
const r = spawnSync(python, [join(__dirname, "run.py"), "--short", ...args, ...notebooks.map((n) => relative(process.cwd(), join(ROOT, n)))], { stdio: "inherit", env });
process.exit(r.status ?? 1);
