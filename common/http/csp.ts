import type { Response } from 'express';

/**
 * Adds origins to one directive of the Content-Security-Policy already set on
 * this answer (helmet sets it for every answer), for a page that must reach a
 * named peer: a partner's paid-content page posts its "Read" form to a
 * redirect that lands on the main site, and frames the main site's page. A
 * directive that is missing starts from default-src, as a browser would fall
 * back to it. Nothing else of the policy changes.
 */
export function allowInCsp(res: Response, directive: 'form-action' | 'frame-src' | 'frame-ancestors', origins: readonly string[]): void {
  const csp = res.getHeader('content-security-policy');
  if (typeof csp !== 'string' || origins.length === 0) return;
  const parts = csp
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean);
  const at = parts.findIndex((p) => p.split(/\s+/)[0] === directive);
  const fallback = parts
    .find((p) => p.split(/\s+/)[0] === 'default-src')
    ?.split(/\s+/)
    .slice(1) ?? ["'self'"];
  const current =
    at >= 0
      ? parts[at]!.split(/\s+/)
          .slice(1)
          .filter((s) => s !== "'none'")
      : fallback.filter((s) => s !== "'none'");
  const next = `${directive} ${[...new Set([...current, ...origins])].join(' ')}`;
  if (at >= 0) parts[at] = next;
  else parts.push(next);
  res.setHeader('Content-Security-Policy', parts.join(';'));
}
