// The pickle reader rebuilds plain values and the allowed torch globals only, and refuses
// everything else with a one-line error naming it; the zip reader reports any truncation as a
// ZipError / TorchFileError, never as a crash elsewhere; the .npy codec round-trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeNpy, parseNpy } from "../src/interop/npy";
import { pickle, PyOrderedDict, unpickle, UnpickleError } from "../src/interop/pickle";
import { encodeTorchFile, OrderedTensors, parseTorchFile, TensorRef, TorchFileError } from "../src/interop/torch_file";
import { writeZip, ZipReader } from "../src/interop/zip";

const bytes = (s: string) => Buffer.from(s, "latin1");

test("plain values round-trip through the writer and the reader", () => {
  const value = { a: 1, b: -70000, c: 2 ** 40, d: 0.25, e: "häh", f: [true, false, null], g: { nested: [1, 2] } };
  const back = unpickle(pickle(value), { globals: {} }).value as Map<string, unknown>;
  assert.deepEqual(Object.fromEntries(back), { ...value, g: new Map([["nested", [1, 2]]]) });
  const od = unpickle(pickle(new PyOrderedDict([["x", 1]])), { globals: { "collections.OrderedDict": { call: () => new Map() } } }).value;
  assert.deepEqual(od, new Map([["x", 1]]));
});

test("a pickle that asks for os.system (GLOBAL, STACK_GLOBAL, NEWOBJ) is refused by name, nothing run", () => {
  const viaGlobal = bytes("\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.");
  assert.throws(() => unpickle(viaGlobal, { globals: {} }), (e: Error) => e instanceof UnpickleError && /global "os\.system"; refused \(nothing was run\)/.test(e.message) && !e.message.includes("\n"));
  const viaStack = bytes("\x80\x04\x8c\x05posix\x8c\x06system\x93\x8c\x04echo\x85R.");
  assert.throws(() => unpickle(viaStack, { globals: {} }), /global "posix\.system"/);
  const builtins = bytes("\x80\x02c__builtin__\neval\nX\x01\x00\x00\x001\x85R.");
  assert.throws(() => unpickle(builtins, { globals: {} }), /global "__builtin__\.eval"/);
  const inst = bytes("(S'echo'\nios\nsystem\n.");
  assert.throws(() => unpickle(inst, { globals: {} }), /opcode INST \(0x69\).*not supported/);
});

test("the torch reader refuses a checkpoint whose pickle names another global", () => {
  const zip = writeZip([{ name: "archive/data.pkl", data: bytes("\x80\x02cnumpy.core.multiarray\n_reconstruct\n)R.") }]);
  assert.throws(() => parseTorchFile(zip), (e: Error) => e instanceof TorchFileError && /"numpy\.core\.multiarray\._reconstruct"; refused/.test(e.message));
});

test("every truncation of a torch.save file is a one-line TorchFileError", () => {
  const file = encodeTorchFile({ meta: { a: 1 }, state_dict: new OrderedTensors([["w", { shape: [3, 4], data: new Float32Array(12).fill(1.5) }]]) });
  assert.ok(parseTorchFile(file));
  for (let cut = 0; cut < file.length; cut += 37) {
    assert.throws(() => parseTorchFile(file.subarray(0, cut)), (e: Error) => e instanceof TorchFileError && !e.message.includes("\n"), `cut at ${cut}`);
  }
  const damaged = Buffer.from(file);
  const entry = new ZipReader(file).entries.get("archive/data/0")!;
  damaged[entry.dataOffset + 5] ^= 0xff;
  assert.throws(() => parseTorchFile(damaged), /entry "archive\/data\/0" is damaged \(CRC-32 mismatch\)/);
});

test("strided and float64 / float16 tensors are read as float32 in row-major order", () => {
  const zip = encodeTorchFile({ w: new OrderedTensors([["x", { shape: [2, 3], data: Float32Array.from([0, 1, 2, 3, 4, 5]) }]]) });
  const t = ((parseTorchFile(zip).value as Map<string, Map<string, TensorRef>>).get("w")!).get("x")!;
  const transposed = new TensorRef(t.storage, 0, [3, 2], [1, 3]);
  assert.deepEqual(Array.from(transposed.toFloat32()), [0, 3, 1, 4, 2, 5]);
});

test(".npy float32 round trip, and a clear error for another dtype", () => {
  const data = Float32Array.from({ length: 24 }, (_, i) => i / 3);
  const back = parseNpy(encodeNpy([2, 3, 4], data));
  assert.deepEqual(back.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(back.data), Array.from(data));
  const header = encodeNpy([1], new Float32Array(1));
  header.write("<i8", header.indexOf("<f4"), "latin1");
  assert.throws(() => parseNpy(header, "x.npy"), /x\.npy: dtype <i8/);
});

test("torch's version string (torch.torch_version.TorchVersion, built by NEWOBJ) reads as a plain string", () => {
  const pkl = bytes("\x80\x02}X\x05\x00\x00\x00torchctorch.torch_version\nTorchVersion\nX\x0a\x00\x00\x002.13.0+cpu\x85\x81s.");
  const zip = writeZip([{ name: "archive/data.pkl", data: pkl }]);
  assert.deepEqual(parseTorchFile(zip).value, new Map([["torch", "2.13.0+cpu"]]));
});
