// The parity fixtures made from mmaction2's real code by `npm run fixtures`
// (scripts/reference/make_fixtures.py), committed under test/fixtures/mmaction2/<preset>/:
// index.json + tensors.bin (weights, input, stage outputs, logits, a training step) and
// weights.pth (the same weights as a real torch.save checkpoint). Shared by test/parity.test.ts
// and test/weights-*.test.ts; reads only those files, never ../shared, Python or PyTorch.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tf } from "../src/backend";
import type { SlowFastConfig } from "../src/model";

export const FIXTURES = join(__dirname, "fixtures", "mmaction2");
export const REGENERATE = "regenerate them with `npm run fixtures` and commit the result";

/** weights.pth of a preset's fixture: mmaction2's {meta, state_dict}, written by torch.save. */
export const fixtureCheckpoint = (preset: string): string => join(FIXTURES, preset, "weights.pth");

export interface FixtureIndex {
  preset: string;
  mmaction2Commit: string;
  config: SlowFastConfig;
  paramCount: { mmaction2: number };
  labels: number[];
  /** Tensor ids (keys of `tensors`). */
  input: string;
  logits: string;
  weights: Record<string, string>;
  stages: Record<string, { slow: string; fast: string }>;
  omittedStages: string[];
  train: { loss: number; logits: string; grads: Record<string, string>; runningStatsAfter: Record<string, string>; torchFloat32GradRelErr?: Record<string, number> };
  /** Byte offset into tensors.bin (float32 little-endian) and shape. */
  tensors: Record<string, { offset: number; shape: number[] }>;
}

export class Fixture {
  readonly index: FixtureIndex;
  private readonly bytes: Buffer;

  constructor(readonly preset: string) {
    const dir = join(FIXTURES, preset);
    this.index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as FixtureIndex;
    this.bytes = readFileSync(join(dir, "tensors.bin"));
  }

  /** A new tensor (the caller disposes it), in the layout the fixture stores it in. */
  tensor(id: string): tf.Tensor {
    const entry = this.index.tensors[id];
    if (!entry) throw new Error(`fixture ${this.preset}: no tensor "${id}" in index.json; ${REGENERATE}`);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + entry.offset, size * 4);
    const values = Float32Array.from({ length: size }, (_, i) => view.getFloat32(4 * i, true));
    return tf.tensor(values, entry.shape, "float32");
  }

  tensors(ids: Record<string, string>): Record<string, tf.Tensor> {
    return Object.fromEntries(Object.entries(ids).map(([key, id]) => [key, this.tensor(id)]));
  }
}

