// The zip container of PyTorch's torch.save files: a small reader and writer over one Buffer.
//
// Why our own and not yauzl / adm-zip / jszip (all installable here): torch.save writes every entry
// STORED (uncompressed) and pads each local header so that tensor bytes start on a 64-byte
// boundary. Reading such a file is: find the end-of-central-directory record, walk the central
// directory, and hand out zero-copy views of the file's bytes, so a 138 MB R50 checkpoint becomes
// Float32Arrays without a second copy (the streaming readers copy every entry through a stream,
// the in-memory ones copy it into a new Buffer). Writing needs the same 64-byte alignment, which
// none of them offers. The whole format part is ~150 lines; deflated entries (another writer's
// zip) still read, through node's zlib.
//
// Layout (APPNOTE.TXT): [local header + name + extra + data]* [central header + name + extra]*
// [zip64 end record + zip64 locator]? [end of central directory]. Offsets and sizes come from the
// central directory (zip64 extra field 0x0001 when a 32-bit field is 0xffffffff); the local header
// only tells where the data starts.
import * as zlib from "node:zlib";

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
/** torch.save aligns every entry's data to 64 bytes (its ".storage_alignment" record). */
export const TORCH_ALIGNMENT = 64;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the entry's (compressed) data starts in the file. */
  dataOffset: number;
}

/** A problem with the container itself; the message is one line, without the file name (the caller adds it). */
export class ZipError extends Error {}

/** node >= 20.15 has zlib.crc32 (native); older nodes get this table version (~0.5 s per 100 MB). */
const crc32: (data: Uint8Array) => number =
  (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32 ??
  (() => {
    const table = new Int32Array(256).map((_, n) => {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      return c;
    });
    return (data: Uint8Array) => {
      let c = -1;
      for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
      return (c ^ -1) >>> 0;
    };
  })();

export class ZipReader {
  readonly entries = new Map<string, ZipEntry>();

  /** Throws ZipError when `buf` is not a whole zip (no end record, entries past the end, ...). */
  constructor(readonly buf: Buffer) {
    const end = findEndRecord(buf);
    if (end < 0) throw new ZipError(`not a zip archive, or truncated (no end-of-central-directory record in its last ${Math.min(buf.length, 65_557)} bytes)`);
    let count = buf.readUInt16LE(end + 10);
    let cdSize = buf.readUInt32LE(end + 12);
    let cdOffset = buf.readUInt32LE(end + 16);
    const locator = end - 20;
    if (locator >= 0 && buf.readUInt32LE(locator) === SIG_ZIP64_LOCATOR) {
      const z64 = Number(buf.readBigUInt64LE(locator + 8));
      if (z64 + 56 > buf.length || buf.readUInt32LE(z64) !== SIG_ZIP64_END) throw new ZipError("truncated or corrupt (bad zip64 end record)");
      count = Number(buf.readBigUInt64LE(z64 + 32));
      cdSize = Number(buf.readBigUInt64LE(z64 + 40));
      cdOffset = Number(buf.readBigUInt64LE(z64 + 48));
    }
    if (cdOffset + cdSize > buf.length) throw new ZipError(`truncated (its central directory would end at byte ${cdOffset + cdSize}, the file has ${buf.length})`);
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > buf.length || buf.readUInt32LE(p) !== SIG_CENTRAL) throw new ZipError(`corrupt central directory (entry ${i} of ${count})`);
      const method = buf.readUInt16LE(p + 10);
      const crc = buf.readUInt32LE(p + 16);
      let compressedSize = buf.readUInt32LE(p + 20);
      let size = buf.readUInt32LE(p + 24);
      const nameLen = buf.readUInt16LE(p + 28);
      const extraLen = buf.readUInt16LE(p + 30);
      const commentLen = buf.readUInt16LE(p + 32);
      let localOffset = buf.readUInt32LE(p + 42);
      const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
      // zip64 extended information: the 64-bit values of the fields that read 0xffffffff, in order.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
        const id = buf.readUInt16LE(e);
        const len = buf.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) {
            size = Number(buf.readBigUInt64LE(q));
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(buf.readBigUInt64LE(q));
            q += 8;
          }
          if (localOffset === 0xffffffff) localOffset = Number(buf.readBigUInt64LE(q));
        }
        e += 4 + len;
      }
      if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== SIG_LOCAL) throw new ZipError(`truncated or corrupt (entry "${name}" has no local header)`);
      const dataOffset = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
      if (dataOffset + compressedSize > buf.length) throw new ZipError(`truncated (entry "${name}" runs past the end of the file)`);
      if (method !== 0 && method !== 8) throw new ZipError(`entry "${name}" uses compression method ${method}; only stored (0) and deflated (8) are read`);
      this.entries.set(name, { name, method, crc32: crc, compressedSize, size, dataOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /**
   * The entry's bytes: a view of the file's buffer when stored (no copy), inflated when deflated.
   * The CRC-32 is checked, so a damaged entry is reported instead of loaded.
   */
  read(name: string): Buffer {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(`no entry "${name}" in the archive`);
    const raw = this.buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
    // maxOutputLength: a deflated entry may not inflate past the size its header declares (zip bombs).
    const data = e.method === 0 ? raw : zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    if (data.length !== e.size) throw new ZipError(`entry "${name}" holds ${data.length} bytes, its header says ${e.size}`);
    if (crc32(data) !== e.crc32) throw new ZipError(`entry "${name}" is damaged (CRC-32 mismatch)`);
    return data;
  }
}

function findEndRecord(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 65_557); // 22-byte record + up to 65,535 bytes of comment
  for (let p = buf.length - 22; p >= stop; p--) {
    if (buf.readUInt32LE(p) === SIG_END) return p;
  }
  return -1;
}

/**
 * Writes a zip with every entry stored and its data aligned to `alignment` bytes (padding in the
 * local header's extra field, as torch.save does). No zip64: archives stay under 4 GiB.
 */
export function writeZip(entries: { name: string; data: Uint8Array }[], alignment = TORCH_ALIGNMENT): Buffer {
  const chunks: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const headerEnd = offset + 30 + nameBytes.length;
    // An extra field needs at least 4 bytes (id + length): pad to the next boundary past that.
    let pad = (alignment - (headerEnd % alignment)) % alignment;
    if (pad > 0 && pad < 4) pad += alignment;
    const crc = crc32(data);
    const local = Buffer.alloc(30 + nameBytes.length + pad);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(pad, 28);
    nameBytes.copy(local, 30);
    if (pad > 0) {
      local.writeUInt16LE(0x4246, 30 + nameBytes.length); // "FB", torch's padding field id
      local.writeUInt16LE(pad - 4, 32 + nameBytes.length);
    }
    const cd = Buffer.alloc(46 + nameBytes.length);
    cd.writeUInt32LE(SIG_CENTRAL, 0);
    cd.writeUInt16LE(20, 4); // version made by
    cd.writeUInt16LE(20, 6); // version needed
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBytes.length, 28);
    cd.writeUInt32LE(offset, 42);
    nameBytes.copy(cd, 46);
    central.push(cd);
    chunks.push(local, data);
    offset += local.length + data.length;
  }
  if (offset > 0xffffffff) throw new ZipError(`archive of ${offset} bytes needs zip64, which this writer does not do`);
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_END, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, cdBytes, end]);
}
