import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { fromRoot } from '../../common/paths.js';
import type { SiteConfigInput } from '../../common/config.js';
import type { RunningMain } from '../../main-site/server.js';
import type { RunningPartner } from '../../partner-site/server.js';
import { enrolPair, startSite, tempDir, TEST_TOKEN } from './network.js';

export interface SyncPartnerSpec {
  id: string;
  /** Terms by capability, e.g. { sync: { requiresApproval: true } }; slices not given get their defaults (a content partnership). */
  contract?: Record<string, unknown>;
  look?: Record<string, unknown>;
  originals?: Record<string, string>;
}

export interface SyncNetwork {
  dir: string;
  contentDir: string;
  templatesDir: string;
  main: RunningMain;
  partners: Record<string, RunningPartner>;
  /** Writes a file in the main content folder (path relative to it). */
  write(path: string, text: string): void;
  remove(path: string): void;
  /** Stops the partner, runs `whileStopped` (e.g. to change its files on disk), and starts it again on the same port. */
  restartPartner(id: string, whileStopped?: () => void | Promise<void>): Promise<RunningPartner>;
  close(): Promise<void>;
}

/** A main site with its own copy of the demo content and templates, and partners with original folders. */
export async function startSyncNetwork(specs: SyncPartnerSpec[], extra: Partial<SiteConfigInput> = {}): Promise<SyncNetwork> {
  const dir = tempDir('tieup-sync-');
  const contentDir = join(dir, 'content');
  const templatesDir = join(dir, 'templates');
  cpSync(fromRoot('main-site/demo-content'), contentDir, { recursive: true });
  cpSync(fromRoot('templates'), templatesDir, { recursive: true });
  const main = await startSite('main', 'main', dir, { contentDir, templatesDir, ...extra });
  const partners: Record<string, RunningPartner> = {};
  const partnerConfig = (id: string) => ({ originalDir: join(dir, 'original', id), ...extra });
  for (const spec of specs) {
    mkdirSync(join(dir, 'original', spec.id), { recursive: true });
    for (const [name, text] of Object.entries(spec.originals ?? {})) writeFileSync(join(dir, 'original', spec.id, name), text);
    const p = await startSite('partner', spec.id, dir, partnerConfig(spec.id));
    await enrolPair(dir, main, p, { ...spec.contract, sync: { partnershipType: 'content', ...(spec.contract?.sync as object | undefined) } });
    if (spec.look) {
      p.sync.store.setOverrides(spec.look);
      p.sync.content.refresh();
    }
    partners[spec.id] = p;
  }
  const net: SyncNetwork = {
    dir,
    contentDir,
    templatesDir,
    main,
    partners,
    write: (path, text) => {
      mkdirSync(join(contentDir, path, '..'), { recursive: true });
      writeFileSync(join(contentDir, path), text);
    },
    remove: (path) => rmSync(join(contentDir, path)),
    async restartPartner(id, whileStopped) {
      const old = partners[id]!;
      const port = Number(new URL(old.url).port);
      await old.close().catch(() => undefined);
      await whileStopped?.();
      const p = await startSite('partner', id, dir, { ...partnerConfig(id), port });
      partners[id] = p;
      return p;
    },
    async close() {
      await Promise.all([main, ...Object.values(partners)].map((s) => s.close().catch(() => undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return net;
}

export async function api<T = any>(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  // any: tests read arbitrary JSON
  const res = await request(baseUrl + path, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T };
}

export async function getPage(baseUrl: string, path: string): Promise<{ status: number; text: string; etag: string | undefined }> {
  const res = await request(baseUrl + path, { headers: { accept: 'text/html' } });
  const etag = res.headers.etag;
  return { status: res.statusCode, text: await res.body.text(), etag: typeof etag === 'string' ? etag : undefined };
}

/** A page of roughly `bytes` bytes whose text carries `marker`. */
export function pageText(title: string, marker: string, bytes = 4000): string {
  const para = `This paragraph is filler text for ${title}, written so the page has a realistic size. `;
  let body = `---\ntitle: ${title}\n---\n# ${title}\n\nMarker: ${marker}\n\n`;
  while (body.length < bytes) body += para;
  return body.slice(0, bytes) + '\n';
}
