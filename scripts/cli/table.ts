import { stripAnsi } from './output.ts';

/** A plain-text table: left-aligned columns, two spaces apart, a header row. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => stripAnsi(row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - stripAnsi(cell).length)),
      )
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map((row) => line(headers.map((_, column) => row[column] ?? '')))].join(
    '\n',
  );
}
