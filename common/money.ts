/**
 * Money is an integer count of a currency's minor unit with its ISO 4217 code;
 * never a float. Exponents from ISO 4217 for the currencies Tieup accepts.
 */
export const MINOR_UNITS: Record<string, number> = {
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  CNY: 2,
  HKD: 2,
  SGD: 2,
  INR: 2,
  BRL: 2,
  MXN: 2,
  JPY: 0,
  KRW: 0,
  ISK: 0,
  VND: 0,
  CLP: 0,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

export interface Money {
  amount: number;
  currency: string;
}

export function assertCurrency(code: string): number {
  const e = MINOR_UNITS[code];
  if (e === undefined) throw new Error(`unsupported currency "${code}" (ISO 4217 code with a known minor unit expected)`);
  return e;
}

/** "1234" EUR -> "12.34 EUR"; "1234" JPY -> "1234 JPY". */
export function formatMoney(m: Money): string {
  const e = assertCurrency(m.currency);
  const neg = m.amount < 0;
  const abs = Math.abs(m.amount);
  const s = e === 0 ? String(abs) : `${Math.floor(abs / 10 ** e)}.${String(abs % 10 ** e).padStart(e, '0')}`;
  return `${neg ? '-' : ''}${s} ${m.currency}`;
}

/**
 * The one rounding rule, applied once per statement line: the exact value
 * numerator / denominator (integers) rounded to the nearest minor unit, halves
 * away from zero. BigInt keeps basis-point products of large amounts exact.
 */
export function roundDiv(numerator: bigint, denominator: bigint): number {
  if (denominator <= 0n) throw new Error('denominator must be positive');
  const neg = numerator < 0n;
  const n = neg ? -numerator : numerator;
  const q = n / denominator;
  const r = n % denominator;
  const rounded = r * 2n >= denominator ? q + 1n : q;
  const v = Number(neg ? -rounded : rounded);
  if (!Number.isSafeInteger(v)) throw new Error('amount out of range');
  return v;
}

/** amount x bps / 10,000, rounded by the one rule. */
export function applyBps(amount: number, bps: number): number {
  return roundDiv(BigInt(amount) * BigInt(bps), 10_000n);
}

/**
 * "12.50" typed in a form, in a currency -> 1250 minor units; "" -> null.
 * Throws a RangeError with a readable message for anything else, including
 * more decimals than the currency has (never rounds what a person typed).
 */
export function amountFromText(text: string, currency: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const digits = Object.hasOwn(MINOR_UNITS, currency) ? MINOR_UNITS[currency]! : 2;
  // A comma is a decimal point ("12,50"), but never before exactly three digits: "1,000" may mean a thousand.
  if (/,\d{3}$/.test(t)) throw new RangeError(`"${t}" is ambiguous: write ${t.replace(',', '')} or ${t.replace(',', '.')}`);
  const m = /^(\d{1,9})(?:[.,](\d+))?$/.exec(t);
  if (!m || (m[2] && m[2].length > digits))
    throw new RangeError(`an amount is a number with at most ${digits} decimal${digits === 1 ? '' : 's'}, like ${digits ? `12.${'5'.padEnd(digits, '0')}` : '1200'}`);
  return Number(m[1]) * 10 ** digits + Number((m[2] ?? '').padEnd(digits, '0') || '0');
}

/** Minor units as a form shows them for editing: 1250 EUR -> "12.50"; null -> "". */
export function amountToText(amount: number | null, currency: string): string {
  if (amount === null) return '';
  const digits = Object.hasOwn(MINOR_UNITS, currency) ? MINOR_UNITS[currency]! : 2;
  return digits ? `${Math.floor(amount / 10 ** digits)}.${String(amount % 10 ** digits).padStart(digits, '0')}` : String(amount);
}
