// Plain-text tables for terminals and logs (bench results, model summaries, notebook tables outside
// a kernel): columns padded to their widest cell and joined by two spaces.

/**
 * The lines of a text table. `rows[0]` is the header; every column is as wide as its widest cell,
 * left-aligned unless `right(column)` is true. `rule` puts a line of dashes under the header.
 */
export function textTable(rows: readonly (readonly string[])[], opts: { right?: (column: number) => boolean; rule?: boolean } = {}): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (opts.right?.(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  const lines = rows.map(line);
  if (opts.rule) lines.splice(1, 0, line(widths.map((w) => "-".repeat(w))));
  return lines;
}
