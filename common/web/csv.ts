/**
 * A text cell a spreadsheet would run as a formula (=, +, -, @, tab or CR
 * first) gets a leading apostrophe (OWASP "CSV injection"). Every CSV export
 * passes its strings through this (csv-stringify `cast.string`): names,
 * subjects, paths and even base64url thumbprints come from outside.
 */
export function spreadsheetSafe(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}
