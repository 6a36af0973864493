// Python's pickle format, only as far as a PyTorch state dict needs it: a reader that rebuilds
// plain values and calls nothing but the JS functions the caller allows, and a writer of protocol 2.
//
// A pickle is a program for a small stack machine: opcodes push values, build containers, and
// (GLOBAL + REDUCE) look up any Python callable by name and call it. Python's own unpickler will
// happily call os.system; this one cannot: a GLOBAL is looked up in the caller's allowlist
// (torch_file.ts: collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.FloatStorage, ...)
// and any other name stops the read with an UnpickleError that names it. Values:
//
//   None -> null   bool -> boolean   int -> number (bigint past 2^53)   float -> number
//   str -> string  bytes -> Uint8Array   tuple, list -> array   dict, OrderedDict -> Map
//
// Why not the npm pickle parsers (pickleparser, jpickle): what matters here is a closed allowlist
// and the exact error; with our own ~250 lines the whole attack surface is in this file, and the
// writer (which no JS package offers in torch's flavour) shares the opcode table.

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | Map<PyKey, PyValue> | PyObject;
export type PyKey = string | number | bigint | boolean | null;
/** What an allowed callable returns that is not a plain value (a tensor reference, a storage type). */
export interface PyObject {
  readonly pyKind: string;
}

/** An allowed Python global: a marker value, or a function REDUCE may call with the pickled arguments. */
export type PyGlobal = { value: PyObject } | { call: (args: PyValue[]) => PyValue };

export interface UnpickleOptions {
  /** "module.name" -> what it rebuilds. Every other global is refused. */
  globals: Record<string, PyGlobal>;
  /** BINPERSID: the persistent id (e.g. torch's ('storage', FloatStorage, '0', 'cpu', numel)) -> value. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** A pickle that asks for something this reader does not do; one line, without the file name. */
export class UnpickleError extends Error {}

class Callable implements PyObject {
  readonly pyKind = "callable";
  constructor(
    readonly qualname: string,
    readonly fn: (args: PyValue[]) => PyValue,
  ) {}
}

const MARK = Symbol("mark");

/**
 * Reads one pickle from `buf` starting at `start` (a legacy torch file holds several in a row) and
 * returns its value and the offset after its STOP opcode.
 */
export function unpickle(buf: Uint8Array, opts: UnpickleOptions, start = 0): { value: PyValue; end: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let stack: (PyValue | typeof MARK)[] = [];
  const marks: (PyValue | typeof MARK)[][] = [];
  const memo = new Map<number, PyValue>();
  let p = start;

  const need = (n: number) => {
    if (p + n > buf.length) throw new UnpickleError(`truncated pickle (needs ${n} more byte(s) at offset ${p})`);
    const at = p;
    p += n;
    return at;
  };
  const u8 = () => buf[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(buf.length)) throw new UnpickleError(`length ${v} at offset ${p - 8} is larger than the pickle`);
    return Number(v);
  };
  const bytes = (n: number) => buf.subarray(need(n), p);
  const text = (n: number) => decoder.decode(bytes(n));
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) throw new UnpickleError(`truncated pickle (unterminated line at offset ${p})`);
    const s = decoder.decode(buf.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new UnpickleError(`malformed pickle (stack underflow at offset ${p})`);
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new UnpickleError(`malformed pickle (empty stack at offset ${p})`);
    return v;
  };
  const popMark = (): PyValue[] => {
    const items = stack as PyValue[];
    const prev = marks.pop();
    if (!prev) throw new UnpickleError(`malformed pickle (no MARK at offset ${p})`);
    stack = prev;
    return items;
  };
  const asMap = (v: PyValue, what: string): Map<PyKey, PyValue> => {
    if (!(v instanceof Map)) throw new UnpickleError(`malformed pickle (${what} on a ${describe(v)}, not a dict)`);
    return v;
  };
  const setItems = (d: Map<PyKey, PyValue>, kv: PyValue[]) => {
    for (let i = 0; i + 1 < kv.length; i += 2) d.set(asKey(kv[i]), kv[i + 1]);
  };
  const lookup = (module: string, name: string): Callable | PyObject => {
    const qualname = `${module}.${name}`;
    const g = opts.globals[qualname] ?? opts.globals[qualname.replace(/^__builtin__\./, "builtins.")];
    if (!g) {
      throw new UnpickleError(
        `asks for the Python global "${qualname}"; refused (nothing was run): a checkpoint may only rebuild tensors, ordered dicts and plain values (allowed: ${Object.keys(opts.globals).join(", ")})`,
      );
    }
    return "call" in g ? new Callable(qualname, g.call) : g.value;
  };
  const toNumber = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const long = (n: number): number | bigint => {
    if (n === 0) return 0;
    const b = bytes(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return toNumber(v);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new UnpickleError(`pickle protocol ${buf[p - 1]} is newer than 5`);
        break;
      case 0x95: // FRAME (protocol 4): a length prefix only
        need(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(long(u32()));
        break;
      case 0x49: {
        // INT (protocol 0 text): also "01"/"00" for True/False
        const s = line();
        stack.push(s === "01" ? true : s === "00" ? false : toNumber(BigInt(s)));
        break;
      }
      case 0x4c: // LONG (text, with an "L" suffix)
        stack.push(toNumber(BigInt(line().replace(/L$/, ""))));
        break;
      case 0x47: // BINFLOAT: big-endian double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str): read as latin-1 text
        stack.push(Buffer.from(bytes(i32())).toString("latin1"));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(Buffer.from(bytes(u8())).toString("latin1"));
        break;
      case 0x53: {
        // STRING (protocol 0): a quoted Python 2 str literal
        const raw = line();
        const q = raw[0];
        if ((q !== "'" && q !== '"') || raw[raw.length - 1] !== q) throw new UnpickleError(`malformed pickle (STRING without quotes at offset ${at})`);
        stack.push(raw.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => (e[0] === "x" ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: "\n", t: "\t", r: "\r" } as Record<string, string>)[e] ?? e)));
        break;
      }
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST. (popMark() replaces `stack`: take the items before pushing.)
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map<PyKey, PyValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asMap(top(), "SETITEM").set(asKey(k), v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(asMap(top(), "SETITEMS"), kv);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x70: // PUT (text)
        memo.set(Number(line()), top());
        break;
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET (text)
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) throw new UnpickleError(`malformed pickle (memo ${k} read before it was written, offset ${at})`);
        stack.push(memo.get(k)!);
        break;
      }
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(lookup(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") throw new UnpickleError(`malformed pickle (STACK_GLOBAL without two strings at offset ${at})`);
        stack.push(lookup(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Callable)) throw new UnpickleError(`malformed pickle (REDUCE on a ${describe(fn)} at offset ${at})`);
        if (!Array.isArray(args)) throw new UnpickleError(`malformed pickle (REDUCE arguments are not a tuple at offset ${at})`);
        stack.push(fn.fn(args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only an allowed class (e.g. torch's version string)
        const args = pop();
        const cls = pop();
        if (!(cls instanceof Callable) || !Array.isArray(args)) throw new UnpickleError(`malformed pickle (NEWOBJ on a ${describe(cls)} at offset ${at})`);
        stack.push(cls.fn(args));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state). Only a dict's attributes (a state_dict's `_metadata`,
        // which records module versions) come this way; they are dropped.
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map) || !(state instanceof Map || state === null)) {
          throw new UnpickleError(`BUILD (object state) on a ${describe(obj)} is not supported (offset ${at})`);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) throw new UnpickleError(`unexpected persistent id at offset ${at}`);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x91: {
        // FROZENSET
        const items = popMark();
        stack.push(items);
        break;
      }
      default: {
        const names: Record<number, string> = { 0x69: "INST", 0x6f: "OBJ", 0x92: "NEWOBJ_EX", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x50: "PERSID", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER" };
        const name = names[op] ? `${names[op]} (0x${op.toString(16)})` : `0x${op.toString(16).padStart(2, "0")}`;
        throw new UnpickleError(`pickle opcode ${name} at offset ${at} is not supported (it builds objects a state dict does not hold)`);
      }
    }
  }
}

function asList(v: PyValue): PyValue[] {
  if (!Array.isArray(v)) throw new UnpickleError(`malformed pickle (APPEND to a ${describe(v)}, not a list)`);
  return v;
}

function asKey(v: PyValue): PyKey {
  if (v === null || ["string", "number", "bigint", "boolean"].includes(typeof v)) return v as PyKey;
  if (Array.isArray(v)) return JSON.stringify(v.map((x) => (typeof x === "bigint" ? String(x) : x))); // tuple keys
  throw new UnpickleError(`a dict key is a ${describe(v)}, not a plain value`);
}

export function describe(v: PyValue | typeof MARK | undefined): string {
  if (v === null) return "None";
  if (v === undefined || v === MARK) return "mark";
  if (Array.isArray(v)) return "list";
  if (v instanceof Map) return "dict";
  if (v instanceof Uint8Array) return "bytes";
  if (typeof v === "object") return (v as PyObject).pyKind;
  return typeof v;
}

// ---------------------------------------------------------------------------------------------
// Writer: protocol 2, the one torch.save uses.

/** A Python global in a pickle being written (e.g. torch.FloatStorage, collections.OrderedDict). */
export class PyRef {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}

/** callable(*args), pickled as GLOBAL + args tuple + REDUCE. */
export class PyCall {
  constructor(
    readonly fn: PyRef,
    readonly args: PickleOut[],
  ) {}
}

/** A persistent id (BINPERSID): torch's storages are pickled as ('storage', type, key, location, numel). */
export class PyPersistent {
  constructor(readonly pid: PickleOut[]) {}
}

/** collections.OrderedDict(), filled by SETITEMS (how CPython pickles one). */
export class PyOrderedDict {
  constructor(readonly entries: [string, PickleOut][]) {}
}

export type PickleOut = null | boolean | number | bigint | string | PickleOut[] | PyTuple | PyRef | PyCall | PyPersistent | PyOrderedDict | { [key: string]: PickleOut };

/** A tuple (a JS array pickles as a list). */
export class PyTuple {
  constructor(readonly items: PickleOut[]) {}
}

export function pickle(value: PickleOut): Buffer {
  const out: number[] = [0x80, 2];
  const bytes = (b: Uint8Array) => {
    for (const x of b) out.push(x);
  };
  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  const str = (s: string) => {
    const b = Buffer.from(s, "utf8");
    out.push(0x58); // BINUNICODE
    u32(b.length);
    bytes(b);
  };
  const int = (n: number | bigint) => {
    const big = BigInt(n);
    if (big >= 0n && big < 256n) out.push(0x4b, Number(big));
    else if (big >= 0n && big < 65536n) out.push(0x4d, Number(big) & 0xff, Number(big) >> 8);
    else if (big >= -(2n ** 31n) && big < 2n ** 31n) {
      out.push(0x4a);
      u32(Number(BigInt.asUintN(32, big)));
    } else {
      // LONG1: little-endian two's complement, as few bytes as hold the sign
      const le: number[] = [];
      let v = big;
      for (;;) {
        le.push(Number(v & 0xffn));
        v >>= 8n;
        const sign = le[le.length - 1] & 0x80;
        if ((v === 0n && !sign) || (v === -1n && sign)) break;
      }
      out.push(0x8a, le.length, ...le);
    }
  };
  const write = (v: PickleOut): void => {
    if (v === null) out.push(0x4e);
    else if (v === true) out.push(0x88);
    else if (v === false) out.push(0x89);
    else if (typeof v === "bigint") int(v);
    else if (typeof v === "number") {
      if (Number.isInteger(v)) int(v);
      else {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        out.push(0x47);
        bytes(b);
      }
    } else if (typeof v === "string") str(v);
    else if (Array.isArray(v)) {
      out.push(0x5d, 0x28); // EMPTY_LIST MARK
      v.forEach(write);
      out.push(0x65); // APPENDS
    } else if (v instanceof PyTuple) {
      out.push(0x28);
      v.items.forEach(write);
      out.push(0x74); // TUPLE
    } else if (v instanceof PyRef) {
      out.push(0x63);
      bytes(Buffer.from(`${v.module}\n${v.name}\n`, "utf8"));
    } else if (v instanceof PyCall) {
      write(v.fn);
      write(new PyTuple(v.args));
      out.push(0x52); // REDUCE
    } else if (v instanceof PyPersistent) {
      write(new PyTuple(v.pid));
      out.push(0x51); // BINPERSID
    } else if (v instanceof PyOrderedDict) {
      write(new PyCall(new PyRef("collections", "OrderedDict"), []));
      setItems(v.entries);
    } else {
      out.push(0x7d); // EMPTY_DICT
      setItems(Object.entries(v));
    }
  };
  const setItems = (entries: [string, PickleOut][]) => {
    // CPython batches SETITEMS by 1000; one MARK per batch keeps the unpickler's stack small.
    for (let i = 0; i < entries.length; i += 1000) {
      out.push(0x28);
      for (const [k, val] of entries.slice(i, i + 1000)) {
        str(k);
        write(val);
      }
      out.push(0x75);
    }
  };
  write(value);
  out.push(0x2e); // STOP
  return Buffer.from(out);
}
