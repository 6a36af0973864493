// Run by the first code cell of every notebook (scripts/notebooks/build.ts adds the cell):
//   import "../scripts/notebooks/dist_ready";
// The notebooks import dist/, the library compiled from src/. Without this cell a missing dist/ shows
// as tslab's "Cannot find module '../dist/backend'", and a stale one as "has no exported member",
// neither naming the fix. Here a missing dist/ stops the notebook with one line naming the command,
// and a dist/ older than src/ (see staleDistFiles in src/notebook/setup.ts) gets one warning line.
// Plain JavaScript (dist_ready.d.ts is its empty type) so it runs before anything is compiled.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const ROOT = join(__dirname, "..", "..");
const SETUP = join(ROOT, "dist", "notebook", "setup.js");

if (!existsSync(join(ROOT, "dist", "notebook", "index.js")) || !existsSync(SETUP)) {
  // A string, not an Error: tslab prints a thrown string as it is, an Error with its stack.
  throw `dist/ is not built (the notebooks import the library compiled from src/): run \`npm run build\` in ${ROOT}, then run this cell again.`;
}
const stale = require(SETUP).staleDistFiles(ROOT);
if (stale.length > 0) {
  const files = `${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ` and ${stale.length - 3} more` : ""}`;
  console.log(`WARNING: dist/ is older than ${files}: run \`npm run build\` (\`npm run lab\` rebuilds on every save), then restart the kernel.`);
}
