#!/usr/bin/env node
// The `slowfast` command. The kit ships TypeScript sources; tsx compiles them on the fly.
require("tsx/cjs/api").register();
require("../src/cli/main.ts");
