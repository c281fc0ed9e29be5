/**
 * RFC 4180 CSV: fields separated by commas, records ended by CRLF, a field
 * quoted (with inner quotes doubled) when it holds a comma, a quote, CR or LF.
 * A text field that a spreadsheet would read as a formula (=, +, -, @, tab,
 * CR first) gets a leading apostrophe (OWASP "CSV injection"): item titles
 * come from the content folder, and a report is opened in spreadsheets.
 * Numbers are written as they are, so negative numbers stay numbers.
 */
export type CsvValue = string | number | null | undefined;

export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  let out = header.map(csvField).join(',') + '\r\n';
  for (const r of rows) out += r.map(csvField).join(',') + '\r\n';
  return out;
}
