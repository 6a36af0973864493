// torch.save files, read and written without Python: the zip format (torch >= 1.6, what mmaction2
// publishes) and the legacy one (a row of pickles followed by raw storages).
//
//   zip:    <root>/data.pkl          the pickled object; each tensor is
//                                    torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
//                                    with storage = persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)
//           <root>/data/<key>        that storage's raw little-endian bytes (64-byte aligned)
//           <root>/byteorder, version, .format_version, .storage_alignment, .data/serialization_id
//   legacy: pickle(magic) pickle(protocol) pickle(sys_info) pickle(object) pickle([keys]) then per
//           key: int64 element count + raw bytes.
//
// The reader rebuilds tensors as TensorRef (dtype, shape, and where the bytes are), not as tfjs
// tensors: the caller decides which to convert (import.ts converts the ones a SlowFast needs).
// Allowed Python globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2 /
// _rebuild_tensor / _rebuild_parameter, the torch.*Storage types and torch's version string; anything else (os.system,
// numpy, mmengine's HistoryBuffer, ...) stops the read, naming it (pickle.ts).
import { readFile } from "node:fs/promises";
import { PyCall, PyOrderedDict, PyPersistent, PyRef, PyTuple, pickle, type PickleOut, type PyGlobal, type PyObject, type PyValue, unpickle, UnpickleError, type UnpickleOptions } from "./pickle";
import { writeZip, ZipError, ZipReader } from "./zip";

export type TorchDtype = "float32" | "float64" | "float16" | "bfloat16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "bool";

/** torch.<Name>Storage -> dtype and bytes per element. */
const STORAGE_TYPES: Record<string, [TorchDtype, number]> = {
  FloatStorage: ["float32", 4],
  DoubleStorage: ["float64", 8],
  HalfStorage: ["float16", 2],
  BFloat16Storage: ["bfloat16", 2],
  LongStorage: ["int64", 8],
  IntStorage: ["int32", 4],
  ShortStorage: ["int16", 2],
  CharStorage: ["int8", 1],
  ByteStorage: ["uint8", 1],
  BoolStorage: ["bool", 1],
};

class StorageType implements PyObject {
  readonly pyKind = "storage type";
  constructor(
    readonly name: string,
    readonly dtype: TorchDtype,
    readonly itemSize: number,
  ) {}
}

export class Storage implements PyObject {
  readonly pyKind = "storage";
  /** Set once the storage's record has been found (zip: at once; legacy: after the key list). */
  bytes?: Uint8Array;
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly itemSize: number,
    readonly numel: number,
  ) {}
}

/** A tensor as the pickle describes it: a strided view of a storage. */
export class TensorRef implements PyObject {
  readonly pyKind = "tensor";
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  get dtype(): TorchDtype {
    return this.storage.dtype;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The values as float32 in row-major order (a view of the file when they already are; else converted). */
  toFloat32(): Float32Array {
    const s = this.storage;
    if (!s.bytes) throw new TorchFileError(`storage ${s.key} has no data record`);
    const n = this.size;
    const contiguous = n <= 1 || rowMajorStrides(this.shape).every((st, i) => this.shape[i] === 1 || st === this.stride[i]);
    const extent = n === 0 ? 0 : 1 + this.shape.reduce((a, d, i) => a + (d - 1) * this.stride[i], 0);
    if (this.offset < 0 || this.offset + extent > s.numel) {
      throw new TorchFileError(`a tensor of shape [${this.shape}] at offset ${this.offset} runs past its storage ${s.key} (${s.numel} elements)`);
    }
    const read = elementReader(s);
    if (contiguous && s.dtype === "float32") {
      const start = s.bytes.byteOffset + 4 * this.offset;
      // A view when aligned (torch aligns records to 64 bytes); a copy otherwise.
      if (start % 4 === 0) return new Float32Array(s.bytes.buffer, start, n);
      const copy = new Float32Array(n);
      new Uint8Array(copy.buffer).set(s.bytes.subarray(4 * this.offset, 4 * (this.offset + n)));
      return copy;
    }
    const out = new Float32Array(n);
    if (contiguous) {
      for (let i = 0; i < n; i++) out[i] = read(this.offset + i);
      return out;
    }
    // Strided (e.g. a transposed view saved as is): walk the index in row-major order.
    const idx = new Array<number>(this.shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let at = this.offset;
      for (let d = 0; d < idx.length; d++) at += idx[d] * this.stride[d];
      out[i] = read(at);
      for (let d = idx.length - 1; d >= 0; d--) {
        if (++idx[d] < this.shape[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  }
}

/** One-line problem with a torch file, without the file name (the caller adds it). */
export class TorchFileError extends Error {}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

function elementReader(s: Storage): (i: number) => number {
  const b = s.bytes!;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (s.dtype) {
    case "float32": return (i) => v.getFloat32(4 * i, true);
    case "float64": return (i) => v.getFloat64(8 * i, true);
    case "float16": return (i) => halfToFloat(v.getUint16(2 * i, true));
    case "bfloat16": {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => (f.setUint32(0, v.getUint16(2 * i, true) << 16), f.getFloat32(0));
    }
    case "int64": return (i) => Number(v.getBigInt64(8 * i, true));
    case "int32": return (i) => v.getInt32(4 * i, true);
    case "int16": return (i) => v.getInt16(2 * i, true);
    case "int8": return (i) => v.getInt8(i);
    case "uint8":
    case "bool": return (i) => v.getUint8(i);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function int(v: PyValue, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new UnpickleError(`${what} is not an integer`);
  return v;
}

function ints(v: PyValue, what: string): number[] {
  if (!Array.isArray(v)) throw new UnpickleError(`${what} is not a tuple`);
  return v.map((x) => int(x, what));
}

function rebuildTensor(args: PyValue[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Storage)) throw new UnpickleError("_rebuild_tensor_v2 without a storage");
  const shape = ints(size, "a tensor's size");
  const strides = ints(stride, "a tensor's stride");
  if (strides.length !== shape.length) throw new UnpickleError(`a tensor's size [${shape}] and stride [${strides}] differ in rank`);
  return new TensorRef(storage, int(offset, "a tensor's storage offset"), shape, strides);
}

/** What a state-dict checkpoint may ask for, and nothing else. */
function allowedGlobals(): Record<string, PyGlobal> {
  const globals: Record<string, PyGlobal> = {
    "collections.OrderedDict": {
      call: (args) => {
        const m = new Map();
        // OrderedDict() or OrderedDict([(k, v), ...])
        if (Array.isArray(args[0])) for (const kv of args[0]) if (Array.isArray(kv) && kv.length === 2) m.set(kv[0], kv[1]);
        return m;
      },
    },
    "torch._utils._rebuild_tensor_v2": { call: rebuildTensor },
    "torch._utils._rebuild_tensor": { call: rebuildTensor },
    // nn.Parameter(data, requires_grad, hooks): the data is all a state dict needs.
    "torch._utils._rebuild_parameter": {
      call: (args) => {
        if (!(args[0] instanceof TensorRef)) throw new UnpickleError("_rebuild_parameter without a tensor");
        return args[0];
      },
    },
    // torch.__version__ in a checkpoint's meta: a str subclass, rebuilt as the string.
    "torch.torch_version.TorchVersion": { call: (args) => (typeof args[0] === "string" ? args[0] : String(toPlain(args[0] ?? null))) },
  };
  for (const [name, [dtype, size]] of Object.entries(STORAGE_TYPES)) globals[`torch.${name}`] = { value: new StorageType(name, dtype, size) };
  return globals;
}

export interface TorchFile {
  format: "zip" | "legacy";
  /** The pickled object (for a checkpoint: a Map with "meta" and "state_dict"). */
  value: PyValue;
}

/**
 * Reads a torch.save file. Throws TorchFileError (one line, without the file name) for a
 * truncated or damaged file, a big-endian one, or a pickle that asks for a global outside the
 * allowlist. The returned tensors are views of `buf` (keep it alive while using them).
 */
export function parseTorchFile(buf: Buffer): TorchFile {
  try {
    if (buf.length >= 4 && buf.readUInt32LE(0) === 0x04034b50) return parseZip(buf);
    if (buf.length >= 2 && buf[0] === 0x80) return parseLegacy(buf);
    if (buf.length === 0) throw new TorchFileError("empty file (0 bytes)");
    throw new TorchFileError("not a torch.save file (neither a zip archive nor a pickle) nor a kit .ckpt");
  } catch (err) {
    if (err instanceof ZipError || err instanceof UnpickleError) throw new TorchFileError(err.message);
    if (err instanceof RangeError) throw new TorchFileError(`truncated or corrupt (${err.message})`);
    throw err;
  }
}

export async function readTorchFile(file: string): Promise<TorchFile> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw new TorchFileError(`cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseTorchFile(buf);
}

function parseZip(buf: Buffer): TorchFile {
  const zip = new ZipReader(buf);
  const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new TorchFileError(`a zip archive without <name>/data.pkl, so not a torch.save file (entries: ${[...zip.entries.keys()].slice(0, 5).join(", ")})`);
  const root = pkl.slice(0, -"data.pkl".length);
  if (zip.entries.has(`${root}byteorder`)) {
    const order = zip.read(`${root}byteorder`).toString("latin1");
    if (order !== "little") throw new TorchFileError(`saved with byte order "${order}"; only little-endian files are read`);
  }
  const storages = new Map<string, Storage>();
  const value = unpickle(zip.read(pkl), {
    globals: allowedGlobals(),
    persistentLoad: (pid) => {
      const [tag, type, key, , numel] = Array.isArray(pid) ? pid : [];
      if (tag !== "storage" || !(type instanceof StorageType) || typeof key !== "string") throw new UnpickleError(`unknown persistent id ${JSON.stringify(pid)}`);
      let s = storages.get(key);
      if (!s) {
        s = new Storage(key, type.dtype, type.itemSize, int(numel as PyValue, "a storage's size"));
        const record = `${root}data/${key}`;
        if (!zip.entries.has(record)) throw new TorchFileError(`storage ${key} has no record ${record} (truncated archive?)`);
        s.bytes = zip.read(record);
        if (s.bytes.length < s.numel * s.itemSize) throw new TorchFileError(`storage ${key} holds ${s.bytes.length} bytes, ${s.numel} x ${s.itemSize} expected`);
        storages.set(key, s);
      }
      return s;
    },
  }).value;
  return { format: "zip", value };
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function parseLegacy(buf: Buffer): TorchFile {
  const globals = allowedGlobals();
  let p = 0;
  const next = (opts: UnpickleOptions = { globals }) => {
    const r = unpickle(buf, opts, p);
    p = r.end;
    return r.value;
  };
  if (next() !== LEGACY_MAGIC) throw new TorchFileError("a pickle, but not a torch.save file (no torch magic number); plain pickles are not read");
  const protocol = next();
  if (protocol !== 1001) throw new TorchFileError(`legacy torch format with protocol version ${String(protocol)}, expected 1001`);
  const sysInfo = next();
  if (sysInfo instanceof Map && sysInfo.get("little_endian") === false) throw new TorchFileError("saved on a big-endian machine; only little-endian files are read");
  const storages = new Map<string, Storage>();
  const value = next({
    globals,
    persistentLoad: (pid) => {
      const [tag, type, key, , numel, view] = Array.isArray(pid) ? pid : [];
      if (tag !== "storage" || !(type instanceof StorageType) || typeof key !== "string") throw new UnpickleError(`unknown persistent id ${JSON.stringify(pid)}`);
      if (view !== null && view !== undefined) throw new UnpickleError("storage views (legacy torch < 0.4 files) are not supported");
      let s = storages.get(key);
      if (!s) storages.set(key, (s = new Storage(key, type.dtype, type.itemSize, int(numel as PyValue, "a storage's size"))));
      return s;
    },
  });
  const keys = next();
  if (!Array.isArray(keys)) throw new TorchFileError("legacy torch file without its storage key list (truncated?)");
  for (const key of keys) {
    if (p + 8 > buf.length) throw new TorchFileError(`truncated (storage ${String(key)} is missing)`);
    const numel = Number(buf.readBigInt64LE(p));
    p += 8;
    const s = storages.get(String(key));
    if (!s) throw new TorchFileError(`storage ${String(key)} is listed but no tensor uses it`);
    const bytes = numel * s.itemSize;
    if (p + bytes > buf.length) throw new TorchFileError(`truncated (storage ${s.key} needs ${bytes} bytes at offset ${p}, the file has ${buf.length})`);
    s.bytes = buf.subarray(p, p + bytes);
    p += bytes;
  }
  return { format: "legacy", value };
}

// ---------------------------------------------------------------------------------------------
// Writing.

/** A tensor to save: float32 values or int64 values (num_batches_tracked), row-major. */
export interface TensorOut {
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Marks a value in the object being saved as a tensor (for writeTorchFile). */
export class SavedTensor {
  constructor(readonly tensor: TensorOut) {}
}

export type SaveValue = PickleOut | SavedTensor | SaveValue[] | OrderedTensors | { [key: string]: SaveValue };

/** An OrderedDict of tensors (a state_dict). */
export class OrderedTensors {
  constructor(readonly entries: [string, TensorOut][]) {}
}

/**
 * Encodes `value` as torch.save would (zip format, pickle protocol 2, records 64-byte aligned), so
 * torch.load(file, weights_only=True) reads it: only OrderedDict, _rebuild_tensor_v2 and the
 * FloatStorage / LongStorage types appear in the pickle.
 */
export function encodeTorchFile(value: SaveValue, archive = "archive"): Buffer {
  const records: { name: string; data: Uint8Array }[] = [];
  const tensorCall = (t: TensorOut): PyCall => {
    const key = String(records.length);
    const float = t.data instanceof Float32Array;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== numel) throw new Error(`tensor of shape [${t.shape}] has ${t.data.length} values`);
    records.push({ name: `${archive}/data/${key}`, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
    const storage = new PyPersistent(["storage", new PyRef("torch", float ? "FloatStorage" : "LongStorage"), key, "cpu", numel]);
    return new PyCall(new PyRef("torch._utils", "_rebuild_tensor_v2"), [
      storage,
      0,
      new PyTuple(t.shape),
      new PyTuple(rowMajorStrides(t.shape)),
      false,
      new PyCall(new PyRef("collections", "OrderedDict"), []),
    ]);
  };
  const convert = (v: SaveValue): PickleOut => {
    if (v instanceof SavedTensor) return tensorCall(v.tensor);
    if (v instanceof OrderedTensors) return new PyOrderedDict(v.entries.map(([k, t]) => [k, tensorCall(t)]));
    if (Array.isArray(v)) return v.map(convert);
    if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, SaveValue>).map(([k, x]) => [k, convert(x)]));
    }
    return v as PickleOut;
  };
  const pkl = pickle(convert(value));
  const text = (s: string) => Buffer.from(s, "latin1");
  const id = Array.from({ length: 40 }, () => Math.floor(Math.random() * 10)).join("");
  return writeZip([
    { name: `${archive}/data.pkl`, data: pkl },
    { name: `${archive}/.format_version`, data: text("1") },
    { name: `${archive}/.storage_alignment`, data: text("64") },
    { name: `${archive}/byteorder`, data: text("little") },
    ...records,
    { name: `${archive}/version`, data: text("3\n") },
    { name: `${archive}/.data/serialization_id`, data: text(id) },
  ]);
}

/** A pickled Python value as JSON-friendly data (Maps -> objects, bigints -> strings, tensors -> a description). */
export function toPlain(v: PyValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toPlain(x)]));
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === "bigint") return String(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (v instanceof TensorRef) return `<tensor ${v.dtype} [${v.shape}]>`;
  if (v !== null && typeof v === "object") return `<${(v as PyObject).pyKind}>`;
  return v;
}
