#!/usr/bin/env node
// The `slowfast` command. The kit ships TypeScript sources; tsx compiles them on the fly.
require("tsx/cjs/api").register();
try {
  require("../src/cli/main.ts");
} catch (err) {
  // A wrong SLOWFAST_BACKEND fails while the modules load, before main.ts can catch anything.
  if (!(err instanceof Error && err.name === "BackendError")) throw err;
  console.error(`slowfast: ${err.message}`);
  process.exit(1);
}
