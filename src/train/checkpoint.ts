// Checkpoints: the model's parameters and batch-norm running statistics (by their dotted names),
// the optimiser's state, and where the run stands, in one file written atomically (atomic.ts).
//
// File layout: "SFCKPT1\n" | u32 LE header length | header JSON | float32 data, little-endian.
// The header lists every tensor's name, shape and offset. The optimiser's state is its step count
// and flat vectors over all trainable parameters in the model's order (optimizer.ts), so it
// restores into a freshly built model of the same configuration.
import { readFile } from "node:fs/promises";
import { tf } from "../backend";
import type { SlowFast, SlowFastConfig } from "../model";
import { writeFileAtomic } from "./atomic";
import type { FlatOptimizer, NamedTensor } from "./optimizer";

const MAGIC = "SFCKPT1\n";

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
  /** Names (in order) of the optimiser weights: "iter" first, then slots. */
  optimizer: string[];
}


export interface Checkpoint {
  meta: CheckpointMeta;
  /** Model tensors by parameter name; the caller disposes them (or calls restoreModel). */
  model: Map<string, tf.Tensor>;
  optimizer: NamedTensor[];
}

async function encode(meta: CheckpointMeta, model: SlowFast, optimizer?: FlatOptimizer): Promise<Buffer> {
  const named: { name: string; tensor: tf.Tensor }[] = [...model.params.entries].map(([name, e]) => ({ name: `model/${name}`, tensor: e.variable }));
  const optWeights = optimizer ? optimizer.getWeights() : [];
  optWeights.forEach((w, i) => named.push({ name: `optimizer/${i}`, tensor: w.tensor }));
  const records: TensorRecord[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = Float32Array.from(await tensor.data());
    records.push({ name, shape: tensor.shape, offset });
    chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    offset += values.byteLength;
  }
  // getWeights() hands out copies; they are written, so free them.
  tf.dispose(optWeights.map((w) => w.tensor));
  const header: Header = { meta, tensors: records, optimizer: optWeights.map((w) => w.name) };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  return Buffer.concat([Buffer.from(MAGIC, "latin1"), len, json, ...chunks]);
}

/** Writes `file` atomically: killed mid-write, the previous checkpoint is still there, whole. */
export async function saveCheckpoint(file: string, meta: CheckpointMeta, model: SlowFast, optimizer?: FlatOptimizer): Promise<void> {
  await writeFileAtomic(file, await encode(meta, model, optimizer));
}

export async function loadCheckpoint(file: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new Error(`checkpoint ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (buf.length < MAGIC.length + 4 || buf.toString("latin1", 0, MAGIC.length) !== MAGIC) {
    throw new Error(`checkpoint ${file}: not a slowfast checkpoint (expected it to start with ${JSON.stringify(MAGIC)})`);
  }
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLen;
  let header: Header;
  try {
    header = JSON.parse(buf.toString("utf8", MAGIC.length + 4, dataStart)) as Header;
  } catch {
    throw new Error(`checkpoint ${file}: header is not valid JSON (file truncated or corrupt)`);
  }
  const model = new Map<string, tf.Tensor>();
  const optimizer: NamedTensor[] = [];
  for (const r of header.tensors) {
    const size = r.shape.reduce((a, b) => a * b, 1);
    const start = dataStart + r.offset;
    if (start + 4 * size > buf.length) throw new Error(`checkpoint ${file}: truncated (tensor ${r.name} runs past the end)`);
    const values = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + 4 * size));
    const tensor = tf.tensor(values, r.shape, "float32");
    if (r.name.startsWith("model/")) model.set(r.name.slice("model/".length), tensor);
    else optimizer.push({ name: header.optimizer[Number(r.name.slice("optimizer/".length))], tensor });
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
