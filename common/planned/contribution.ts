import { z } from 'zod';

/**
 * What a contributor sends (seed claim 1: "contributed information treated as
 * an object to be offered for pay"): text, an image, or a file, each with a
 * title and a free teaser. Nothing a contributor sends is ever served as
 * active content from our origin: text is escaped, images are shown only when
 * their bytes are a raster format we recognise, and everything else,
 * SVG and HTML included, goes out as an inert download (see inertHeaders).
 */
export const CONTRIBUTION_KINDS = ['text', 'image', 'file'] as const;
export type ContributionKind = (typeof CONTRIBUTION_KINDS)[number];

/** File names contributors may send, by extension: documents and pictures, never executables or scripts. */
export const ALLOWED_EXTENSIONS = ['png', 'jpg', 'jpeg', 'gif', 'webp', 'svg', 'pdf', 'txt', 'md', 'csv', 'html', 'htm', 'zip'] as const;
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;
export const MAX_TEXT_CHARS = 50_000;

const oneLine = (min: number, max: number) =>
  z
    .string()
    .transform((s) => s.replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(min, `at least ${min} character(s)`).max(max, `at most ${max} characters`));

export const contributionFields = z.strictObject({
  section: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'choose a section of the page'),
  kind: z.enum(CONTRIBUTION_KINDS),
  title: oneLine(1, 120),
  teaser: oneLine(1, 400),
  /** The text itself (kind text), or a caption for an image or file. */
  body: z
    .string()
    .transform((s) => s.replace(/\r\n/g, '\n').trim())
    .pipe(z.string().max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters`)),
});
export type ContributionFields = z.output<typeof contributionFields>;

export const fileName = z
  .string()
  .max(120, 'a file name is at most 120 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,118}\.[A-Za-z0-9]{1,8}$/, 'a file name is letters, digits, spaces, ". _ ( ) -" and an extension');

/** Raster images recognised by their first bytes: the only contributed bytes ever shown inline. */
export function sniffRaster(data: Buffer): 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (data.length >= 12 && data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}

export type FileCheck = { ok: true; mediaType: string; inline: boolean } | { ok: false; message: string };

/**
 * Checks a contributed file against the size and type limits. An image
 * contribution must be a raster image by its bytes (an SVG or an HTML file
 * named .png is refused as an image); a file contribution may be any allowed
 * extension and is always delivered as a download.
 */
export function checkFile(kind: ContributionKind, name: string, data: Buffer, maxBytes: number): FileCheck {
  const parsed = fileName.safeParse(name);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]!.message };
  if (data.length === 0) return { ok: false, message: 'the file is empty' };
  if (data.length > maxBytes) return { ok: false, message: `the file is larger than ${maxBytes} bytes` };
  const ext = name.split('.').pop()!.toLowerCase();
  if (!(ALLOWED_EXTENSIONS as readonly string[]).includes(ext)) return { ok: false, message: `.${ext} files are not accepted; accepted: ${ALLOWED_EXTENSIONS.join(', ')}` };
  const raster = sniffRaster(data);
  if (kind === 'image') {
    if (!raster) return { ok: false, message: 'an image contribution must be a PNG, JPEG, GIF or WebP picture' };
    return { ok: true, mediaType: raster, inline: true };
  }
  return { ok: true, mediaType: 'application/octet-stream', inline: false };
}

/**
 * Headers for contributed bytes: never sniffed, never a document of our
 * origin. A sandbox CSP with no sources makes even a browser that ignores the
 * attachment disposition render it as an inert, origin-less document.
 */
export function inertHeaders(name: string, mediaType: string, inline: boolean): Record<string, string> {
  const safeName = name.replace(/[^A-Za-z0-9 ._()-]/g, '_');
  return {
    'Content-Type': inline ? mediaType : 'application/octet-stream',
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${safeName}"`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'private, no-store',
  };
}
