// Preloaded with `node --require` by test/cli-errors.test.ts: @tensorflow/tfjs-node fails to load,
// as on a machine where its binding was never built.
const Module = require("node:module");
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@tensorflow/tfjs-node") throw new Error("Cannot find module '@tensorflow/tfjs-node' (blocked by test/no-native.cjs)");
  return resolveFilename.call(this, request, ...rest);
};
