// NumPy's .npy format (version 1.0 / 2.0), float32 little-endian C-order only: how a clip goes
// between the kit and PyTorch (`slowfast infer --input clip.npy`, np.save / np.load on the other side).
//
//   "\x93NUMPY" major minor | header length (u16 LE in 1.0, u32 LE in 2.0) | header: a Python dict
//   literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 32, 224, 224), } padded with
//   spaces to a multiple of 64 bytes, ending in "\n" | the values.

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = "\x93NUMPY";

/** Parses a .npy buffer holding float32 (or float64, converted) values in C order. */
export function parseNpy(buf: Buffer, what = "npy"): NpyArray {
  if (buf.length < 10 || buf.toString("latin1", 0, 6) !== MAGIC) throw new Error(`${what}: not a .npy file (no \\x93NUMPY magic)`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString("latin1", major === 1 ? 10 : 12, start);
  const descr = header.match(/'descr':\s*'([^']+)'/)?.[1];
  const fortran = header.match(/'fortran_order':\s*(True|False)/)?.[1];
  const shapeText = header.match(/'shape':\s*\(([^)]*)\)/)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`${what}: unreadable .npy header ${JSON.stringify(header.trim())}`);
  if (fortran === "True") throw new Error(`${what}: Fortran-order arrays are not read; save with np.ascontiguousarray(x)`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const width = descr === "<f4" ? 4 : descr === "<f8" ? 8 : 0;
  if (!width) throw new Error(`${what}: dtype ${descr}; expected float32 ('<f4') or float64 ('<f8')`);
  if (start + n * width > buf.length) throw new Error(`${what}: truncated (${buf.length - start} data bytes for shape (${shape}) of ${descr})`);
  const data = new Float32Array(n);
  if (width === 4) new Uint8Array(data.buffer).set(buf.subarray(start, start + 4 * n));
  else for (let i = 0; i < n; i++) data[i] = buf.readDoubleLE(start + 8 * i);
  return { shape, data };
}

/** A float32 .npy (version 1.0) of `data` with `shape`. */
export function encodeNpy(shape: readonly number[], data: Float32Array): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`encodeNpy: ${data.length} values for shape (${shape})`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  header.write(MAGIC, 0, "latin1");
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, "latin1");
  header[total - 1] = 0x0a;
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
