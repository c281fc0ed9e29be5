import { stringify } from 'csv-stringify/sync';
import { spreadsheetSafe } from '../../../common/web/csv.js';

/**
 * RFC 4180 CSV by csv-stringify: fields separated by commas, records ended by
 * CRLF, a field quoted (inner quotes doubled) when it holds a comma, a quote,
 * CR or LF.
 * A text field that a spreadsheet would read as a formula (=, +, -, @, tab,
 * CR first) gets a leading apostrophe (OWASP "CSV injection"): item titles
 * come from the content folder, and a report is opened in spreadsheets.
 * Numbers are written as they are, so negative numbers stay numbers.
 */
export type CsvValue = string | number | null | undefined;

export function csvField(v: CsvValue): string {
  return stringify([[v]], { cast: { string: spreadsheetSafe, number: (n) => (Number.isFinite(n) ? String(n) : '') } }).replace(/\n$/, '');
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return stringify([header, ...(rows as CsvValue[][])], {
    record_delimiter: 'windows',
    cast: { string: spreadsheetSafe, number: (n) => (Number.isFinite(n) ? String(n) : '') },
  });
}
