// Prints the kit's resolved preset configs as one JSON object { presetName: SlowFastConfig }, for
// scripts/reference/make_fixtures.py, which builds mmaction2's real model from them. Part of
// `npm run fixtures`; reading the presets here (not copying their numbers into Python) keeps one
// source of truth when a preset changes.
//
//   node --import tsx scripts/reference/dump_config.ts slowfast_tiny slowfast_test
//
// Imports config.ts alone (not the model index), so TensorFlow.js is never loaded.
import { PRESET_NAMES, presetConfig, type SlowFastConfig } from "../../src/model/config";

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error(`usage: dump_config.ts PRESET... (presets: ${PRESET_NAMES.join(", ")})`);
  process.exit(2);
}
const configs: Record<string, SlowFastConfig> = {};
for (const name of names) configs[name] = presetConfig(name); // throws naming the valid presets
process.stdout.write(`${JSON.stringify(configs, null, 2)}\n`);
