import { padEnd, padStart, truncate } from './style.js';

export interface Column<Row> {
  header: string;
  value(row: Row): string;
  align?: 'left' | 'right';
  /** The one column that shrinks (with an ellipsis) to fit the terminal. */
  flexible?: boolean;
  style?: (text: string, row: Row) => string;
}

/** A plain-text table fitted to `width` columns; only the flexible column is cut. */
export function renderTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, width: number): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const gap = 2;
  const total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
  const flex = columns.findIndex((c) => c.flexible);
  if (flex !== -1 && total > width) widths[flex] = Math.max(columns[flex]!.header.length, widths[flex]! - (total - width));
  const line = (values: string[], row?: Row) =>
    values
      .map((value, i) => {
        const column = columns[i]!;
        const cut = truncate(value, widths[i]!);
        const styled = row !== undefined && column.style ? column.style(cut, row) : cut;
        const last = i === values.length - 1;
        if (column.align === 'right') return padStart(styled, widths[i]!);
        return last ? styled : padEnd(styled, widths[i]!);
      })
      .join(' '.repeat(gap));
  return [line(columns.map((c) => c.header)), ...cells.map((values, r) => line(values, rows[r]))].join('\n') + '\n';
}
