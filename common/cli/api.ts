import { CliError, type CliOptions, type Flags } from './command.js';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

/** The options of every command that talks to a site's console API. */
export const API_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies CliOptions;

/** The site to talk to: --url, default DEFAULT_URL. */
export const urlOf = (flags: Flags): string => (flags.url as string | undefined) || DEFAULT_URL;

/** The API bearer token: --token, else TIEUP_TOKEN, else TIEUP_DEMO_TOKEN. */
export const tokenOf = (flags: Flags): string | undefined => (flags.token as string | undefined) || process.env.TIEUP_TOKEN || process.env.TIEUP_DEMO_TOKEN || undefined;

/** Calls a site's console JSON API with the operator's bearer token and returns the parsed body, or throws its error message. */
export async function apiCall<T>(baseUrl: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<T> {
  if (!token) throw new CliError('no API token: pass --token, or set TIEUP_TOKEN (or TIEUP_DEMO_TOKEN for the demo)', 2);
  const { request } = await import('undici');
  let res;
  try {
    res = await request(baseUrl.replace(/\/+$/, '') + path, {
      method: method as 'GET',
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
  } catch (err) {
    throw new CliError(`cannot reach ${baseUrl}: ${(err as Error).message}. Is the site running (npm start)?`);
  }
  const text = await res.body.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${method} ${path} answered ${res.statusCode} with a body that is not JSON`);
    }
  }
  if (res.statusCode >= 400) {
    const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new CliError(`${method} ${path} failed (${res.statusCode} ${e?.code ?? ''}): ${e?.message ?? text}`);
  }
  return parsed as T;
}
