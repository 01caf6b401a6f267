/**
 * Rows as a plain-text table for a terminal: a header, a rule, one line per row, columns padded
 * to their widest cell. Cells are printed as given; control characters are shown as `?` so a
 * stored text cannot move the terminal's cursor.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (cell: string) => cell.replace(/\p{Cc}/gu, '?');
  const cells = rows.map((row) => row.map(clean));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

/** Kobo as naira for people: 123456 → "₦1,234.56", exact to the kobo. */
export function naira(kobo: bigint): string {
  const sign = kobo < 0n ? '-' : '';
  const abs = kobo < 0n ? -kobo : kobo;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}₦${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}
