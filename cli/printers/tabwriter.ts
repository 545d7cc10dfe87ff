// Column alignment in the manner of Go's text/tabwriter, which kubectl uses:
// cells end with a tab; consecutive lines that have a cell in column j align
// that column; a line with fewer cells ends the block for the columns it lacks.

/** Aligns tab-separated lines. `padding` spaces separate columns. */
export function alignColumns(lines: string[], padding: number): string[] {
  const cells = lines.map((l) => l.split('\t'));
  // terminated cells of a line are all but its last
  const widths = cells.map((c) => new Array<number>(Math.max(0, c.length - 1)).fill(0));
  const maxCols = Math.max(0, ...cells.map((c) => c.length - 1));
  for (let col = 0; col < maxCols; col++) {
    let start = -1;
    const close = (end: number) => {
      if (start < 0) return;
      let w = 0;
      for (let i = start; i < end; i++) w = Math.max(w, width(cells[i]![col]!));
      for (let i = start; i < end; i++) widths[i]![col] = w + padding;
      start = -1;
    };
    for (let i = 0; i < cells.length; i++) {
      if (cells[i]!.length - 1 > col) {
        if (start < 0) start = i;
      } else {
        close(i);
      }
    }
    close(cells.length);
  }
  return cells.map((c, i) => {
    let s = '';
    for (let j = 0; j < c.length - 1; j++) s += c[j]! + ' '.repeat(widths[i]![j]! - width(c[j]!));
    return (s + c[c.length - 1]!).replace(/\s+$/, '');
  });
}

/** Display width; good enough for the ASCII that API names and values are. */
function width(s: string): number {
  return [...s].length;
}
