// Parsers for the numeric command-line options, one per kind and strict: the whole argument must
// be a plain decimal number, so "", " ", "abc", "0x10", "1e400" and "Infinity" are refused the same
// way by every option of every command (commander prints it as one line):
//   error: option '--warmup <epochs>' argument 'abc' is invalid. expected a number >= 0, got "abc"
import { InvalidArgumentError } from "commander";

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parse(value: string, want: string, pattern: RegExp, ok: (n: number) => boolean): number {
  const n = pattern.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || (pattern === INTEGER && !Number.isSafeInteger(n)) || !ok(n)) {
    throw new InvalidArgumentError(`expected ${want}, got "${value}"`);
  }
  return n;
}

export const positiveInt = (value: string): number => parse(value, "a positive integer", INTEGER, (n) => n > 0);
export const integer = (value: string): number => parse(value, "an integer", INTEGER, () => true);
export const positiveNumber = (value: string): number => parse(value, "a positive number", DECIMAL, (n) => n > 0);
export const nonNegativeNumber = (value: string): number => parse(value, "a number >= 0", DECIMAL, (n) => n >= 0);

/** "1,2,3" -> [1, 2, 3]: a comma-separated list of positive integers. */
export function positiveIntList(value: string): number[] {
  try {
    return value.split(",").map(positiveInt);
  } catch {
    throw new InvalidArgumentError(`expected positive integers separated by commas (like 1,2,3), got "${value}"`);
  }
}
