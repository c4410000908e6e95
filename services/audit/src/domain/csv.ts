// CSV for spreadsheets, safe to open: a cell a spreadsheet would read as a formula
// (starting with = + - @, tab or carriage return) gets a leading apostrophe (OWASP "CSV
// injection"), then every cell is quoted with inner quotes doubled (RFC 4180).

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
