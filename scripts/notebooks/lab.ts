// `npm run lab`: JupyterLab opened on the learner's working copy, work/00_setup.ipynb (made from
// notebooks/ when missing, never overwritten: see ./workcopy.ts), with this project's tslab kernel,
// and dist/ rebuilt on every save of a src/ file (tsc --watch). The server's root is the repository,
// so the file browser reaches src/ too (a learner edits src/ from JupyterLab). Arguments after `--`
// go to `jupyter lab` (e.g. --no-browser, --port=8890).
import { spawn, type ChildProcess } from "node:child_process";
import { buildDist, watchDist } from "./dist";
import { findPython, kernelEnv, ROOT } from "./jupyter";
import { syncWorkCopy } from "./workcopy";

const python = findPython(["jupyterlab"]);
const env = kernelEnv(python);
buildDist();
for (const line of syncWorkCopy()) console.log(`npm run lab: ${line}`);
const children: ChildProcess[] = [];
children.push(watchDist());
const labArgs = [`--ServerApp.root_dir=${ROOT}`, "--LabApp.default_url=/lab/tree/work/00_setup.ipynb"];
// Jupyter refuses to run as root unless told; containers often run as root.
if (process.getuid?.() === 0) labArgs.push("--allow-root");
const lab = spawn(python, ["-m", "jupyter", "lab", ...labArgs, ...process.argv.slice(2)], { stdio: "inherit", env });
children.push(lab);
console.log("npm run lab: dist/ is rebuilt when you save a file in src/; restart the kernel to use the new code.");
const stop = () => children.forEach((c) => c.kill("SIGTERM"));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
lab.on("exit", (code) => {
  stop();
  process.exit(code ?? 0);
});
