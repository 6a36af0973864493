// Checkpoints: the model's parameters and batch-norm running statistics (by their dotted names),
// the optimiser's state, and where the run stands, in one file written atomically (atomic.ts).
//
// File layout (version 2): "SFCKPT2\n" | u32 LE header length | header JSON | float32 data,
// little-endian | SHA-256 of every byte before it (32 bytes). The header lists every tensor's name,
// shape and offset. The optimiser's state is its step count and flat vectors over all trainable
// parameters in the model's order (optimizer.ts), so it restores into a freshly built model of the
// same configuration. Loading verifies the checksum and that every value is finite, so a corrupt
// or damaged file is a one-line error naming it, never weights used silently. Version 1 files
// ("SFCKPT1\n", no checksum) still load, with the finite-values check only.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { tf } from "../backend";
import type { SlowFast, SlowFastConfig } from "../model";
import { writeFileAtomic } from "./atomic";
import type { FlatOptimizer, NamedTensor } from "./optimizer";

const MAGIC = "SFCKPT2\n";
const MAGIC_V1 = "SFCKPT1\n";
const DIGEST_BYTES = 32;

/** Everything besides tensors that a resumed run or an evaluation needs. */
export interface CheckpointMeta {
  config: SlowFastConfig;
  /** Epochs completed (1-based count). */
  epoch: number;
  /** Optimiser steps completed. */
  step: number;
  classes: string[];
  /** Free-form: the training options, the best validation accuracy so far, ... */
  [key: string]: unknown;
}

interface TensorRecord {
  name: string;
  shape: number[];
  offset: number;
}

interface Header {
  meta: CheckpointMeta;
  tensors: TensorRecord[];
  /** Names (in order) of the optimiser state tensors: "steps", then the flat state vectors. */
  optimizer: string[];
}

export interface Checkpoint {
  meta: CheckpointMeta;
  /** Model tensors by parameter name; the caller disposes them (or calls restoreModel). */
  model: Map<string, tf.Tensor>;
  optimizer: NamedTensor[];
}

async function encode(meta: CheckpointMeta, model: SlowFast, optimizer: FlatOptimizer | undefined, file: string): Promise<Buffer> {
  const named: { name: string; tensor: tf.Tensor }[] = [...model.params.entries].map(([name, e]) => ({ name: `model/${name}`, tensor: e.variable }));
  const optWeights = optimizer ? optimizer.getWeights() : [];
  optWeights.forEach((w, i) => named.push({ name: `optimizer/${i}`, tensor: w.tensor }));
  const records: TensorRecord[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  try {
    for (const { name, tensor } of named) {
      const values = Float32Array.from(await tensor.data());
      const bad = countNonFinite(values);
      if (bad > 0) throw new Error(`checkpoint ${file}: not written, ${name} holds ${bad} non-finite value(s) (NaN or Infinity)`);
      records.push({ name, shape: tensor.shape, offset });
      chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
      offset += values.byteLength;
    }
  } finally {
    // getWeights() hands out copies; they are written, so free them.
    tf.dispose(optWeights.map((w) => w.tensor));
  }
  const header: Header = { meta, tensors: records, optimizer: optWeights.map((w) => w.name) };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const body = Buffer.concat([Buffer.from(MAGIC, "latin1"), len, json, ...chunks]);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

function countNonFinite(values: Float32Array): number {
  let bad = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) bad++;
  return bad;
}

/** Writes `file` atomically: killed mid-write, the previous checkpoint is still there, whole. */
export async function saveCheckpoint(file: string, meta: CheckpointMeta, model: SlowFast, optimizer?: FlatOptimizer): Promise<void> {
  await writeFileAtomic(file, await encode(meta, model, optimizer, file));
}

/** The verified bytes and parsed header of a checkpoint file; throws one line naming the file. */
async function readVerified(file: string): Promise<{ buf: Buffer; header: Header; dataStart: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new Error(`checkpoint ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const magic = buf.length >= MAGIC.length + 4 ? buf.toString("latin1", 0, MAGIC.length) : "";
  if (magic !== MAGIC && magic !== MAGIC_V1) {
    throw new Error(`checkpoint ${file}: not a slowfast checkpoint (expected it to start with ${JSON.stringify(MAGIC)})`);
  }
  const digest = magic === MAGIC ? DIGEST_BYTES : 0;
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLen;
  let header: Header | undefined;
  try {
    header = JSON.parse(buf.toString("utf8", MAGIC.length + 4, dataStart)) as Header;
  } catch {
    header = undefined;
  }
  const expected = header ? dataStart + 4 * header.tensors.reduce((a, r) => a + r.shape.reduce((x, y) => x * y, 1), 0) + digest : undefined;
  if (expected !== undefined && buf.length < expected) throw new Error(`checkpoint ${file}: truncated (${buf.length} bytes, its header describes ${expected}); the file is damaged`);
  if (digest > 0) {
    const body = buf.subarray(0, buf.length - digest);
    if (!createHash("sha256").update(body).digest().equals(buf.subarray(buf.length - digest))) {
      throw new Error(`checkpoint ${file}: checksum mismatch, the file is corrupt (changed or damaged after it was written)`);
    }
  }
  if (!header) throw new Error(`checkpoint ${file}: header is not valid JSON (file truncated or corrupt)`);
  if (buf.length !== expected) throw new Error(`checkpoint ${file}: ${buf.length} bytes, its header describes ${expected}; the file is damaged`);
  return { buf, header, dataStart };
}

/** Only the meta of a checkpoint (verified like loadCheckpoint, no tensors made). */
export async function readCheckpointMeta(file: string): Promise<CheckpointMeta> {
  return (await readVerified(file)).header.meta;
}

export async function loadCheckpoint(file: string): Promise<Checkpoint> {
  const { buf, header, dataStart } = await readVerified(file);
  const model = new Map<string, tf.Tensor>();
  const optimizer: NamedTensor[] = [];
  try {
    for (const r of header.tensors) {
      const size = r.shape.reduce((a, b) => a * b, 1);
      const start = dataStart + r.offset;
      const values = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 4 * size));
      const bad = countNonFinite(values);
      if (bad > 0) throw new Error(`checkpoint ${file}: ${r.name} holds ${bad} non-finite value(s) (NaN or Infinity); the file is corrupt or the run diverged`);
      const tensor = tf.tensor(values, r.shape, "float32");
      if (r.name.startsWith("model/")) model.set(r.name.slice("model/".length), tensor);
      else optimizer.push({ name: header.optimizer[Number(r.name.slice("optimizer/".length))], tensor });
    }
  } catch (err) {
    tf.dispose([...model.values(), ...optimizer.map((w) => w.tensor)]);
    throw err;
  }
  return { meta: header.meta, model, optimizer };
}

/** Assigns the checkpoint's tensors to the model's variables (names and shapes must match) and frees them. */
export function restoreModel(model: SlowFast, tensors: Map<string, tf.Tensor>, file = "checkpoint"): void {
  try {
    const missing = [...model.params.entries.keys()].filter((n) => !tensors.has(n));
    const extra = [...tensors.keys()].filter((n) => !model.params.entries.has(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(`${file}: parameters do not match the model (missing: ${missing.slice(0, 3).join(", ") || "none"}; unexpected: ${extra.slice(0, 3).join(", ") || "none"}); was it saved from another preset?`);
    }
    for (const [name, e] of model.params.entries) {
      const t = tensors.get(name)!;
      if (t.shape.join("x") !== e.variable.shape.join("x")) {
        throw new Error(`${file}: ${name} has shape [${t.shape.join(", ")}], the model expects [${e.variable.shape.join(", ")}]`);
      }
      e.variable.assign(t);
    }
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** Loads the optimiser's state (momentum or AdamW moments, step count) and frees the tensors. */
export function restoreOptimizer(optimizer: FlatOptimizer, weights: NamedTensor[], file = "checkpoint"): void {
  try {
    optimizer.setWeights(weights);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
}
