import type express from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScheduledTask } from 'node-cron';
import type { CliCommand } from './cli/command.js';
import type { ConfigSlice } from './config-slice.js';
import type { ErrorCatalog } from './errors.js';
import type { EntryType } from './logchain/entry-types.js';
import type { ContentView } from './render/content-view.js';
import type { SiteContext } from './site/context.js';
import type { S2SServerDeps } from './s2s/middleware.js';
import type { NavGroup } from './web/nav.js';
import type { MigrationSet } from './store/sqlite.js';
import type { TermsSlice } from './contract/terms.js';
import type { PartnerReleaseFilter } from './release/manifest.js';

/**
 * The module contract: what one capability (sync, shop, users, logs, fees, the
 * peers console, ...) contributes to one kind of site. A site is its list of
 * modules; the composition root (`server.ts`) lists them and the host
 * (common/site/host.ts) collects migrations, routes, navigation, jobs and
 * shutdown hooks from that list, in list order. Nothing else in the tree needs
 * to know a capability exists.
 *
 * The idea follows fastify's encapsulated plugins (a plugin registers its own
 * routes under a prefix and declares its name) and Medusa v2's modules (a
 * module owns its models, migrations and service, and others reach it only
 * through that service): a capability owns its store, and other capabilities
 * reach it through the service its `create` returns, obtained with `use()`.
 */
export interface SiteModule<S = unknown> {
  /** The capability's name: unique per site, used for logs and `use()` errors. */
  readonly name: string;
  /** Versioned SQL migrations the capability's store needs, applied in list order. */
  readonly migrations?: readonly MigrationSet[];
  /**
   * The capability's configuration keys (TIEUP_<KEY> or the TIEUP_CONFIG file),
   * read as `ctx.config.<key>`. A site loads its modules' slices (siteConfigSlices);
   * the slice's file adds its keys to SiteConfig by declaration merging (common/config.ts).
   */
  readonly config?: ConfigSlice;
  /** The capability's `tieup` commands (common/cli/command.ts), listed in the help under their section. */
  readonly cli?: readonly CliCommand[];
  /**
   * The capability's slice of a partner's contract: its key, version and
   * strict schema (common/contract/terms.ts). The main site's partners API
   * checks written terms against the slices of its modules, and a partner
   * checks what the main site sends against its own; both sites' modules of a
   * capability declare the same slice object (kept in common/<capability>/terms.ts).
   */
  readonly terms?: TermsSlice;
  /** Folders with the capability's EJS views (names must be unique across the site). */
  readonly views?: readonly string[];
  /** The error catalogs (common/errors.ts `defineErrors`) listing every code the capability answers with. */
  readonly errors?: readonly ErrorCatalog[];
  /** The access-log entry types the capability writes (common/logchain/entry-types.ts); the host registers them at start. */
  readonly logEntryTypes?: readonly EntryType[];
  /** Console navigation entries, relative to the console's base path ("/admin" or "/manage"). */
  readonly nav?: readonly NavEntry[];
  /** Builds the capability's store and service. Runs once per site, before anything is mounted: in list order, or earlier when another module asks for it with `use()`. */
  create(host: ModuleHost): S;
  /** Server-to-server endpoints this site answers for the capability (mounted under /s2s). */
  s2s?(router: express.Router, service: S, deps: S2SServerDeps, host: ModuleHost): void;
  /** Console JSON API routes (mounted under the console's /api, behind bearer tokens). */
  consoleApi?(router: express.Router, service: S, host: ModuleHost): void;
  /** Console pages (mounted under the console's base path, behind a console session). */
  consolePages?(router: express.Router, service: S, host: ModuleHost): void;
  /** Shopper-facing routes, mounted in list order after the consoles. */
  front?(app: express.Express, service: S, host: ModuleHost): FastPath | void;
  /** Shopper-facing catch-alls (the page router, the site's 404), mounted after every module's front. */
  frontFallback?(app: express.Express, service: S, host: ModuleHost): void;
  /** Scheduled jobs, started once the site listens and destroyed at shutdown. */
  jobs?(service: S, host: ModuleHost): ScheduledTask[];
  /** Work that runs once the site listens (timers, pollers, first publish). */
  start?(service: S, host: ModuleHost): void;
  /** Shutdown, in reverse list order, after the server stops accepting and before the database closes. */
  close?(service: S): Promise<void> | void;
  /** Extra fields shown for a peer in the peers console and API (e.g. its sync status). */
  describePeer?(service: S, peerId: string): Record<string, unknown> | undefined;
  /** Called after any change to peers (enrolment, status, contract). */
  onPeersChanged?(service: S): void;
  /** The site's current content view (pages, templates, look): one module of a site provides it. */
  contentView?(service: S): () => ContentView;
  /** Sections a shopper's account page shows (the shop's order list, for example). */
  accountSections?(service: S): AccountSection[];
  /** Alerts every console page shows in its header until their cause is gone (a fork in a partner's log): each links to its evidence. */
  alerts?(service: S): ConsoleAlert[];
  /** Main site: narrows what one partner receives of each release (planned pages its planner's contract does not let it carry). */
  partnerRelease?(service: S): PartnerReleaseFilter;
}

/** A standing alert in the console header; `path` is relative to the console's base path, like NavEntry. */
export interface ConsoleAlert {
  text: string;
  path: string;
}

export interface NavEntry {
  /** Path below the console's base path, e.g. "/sync". */
  path: string;
  title: string;
  /** The header menu it is listed under (default "Network"). */
  group?: NavGroup;
}

/** A hot-path request handler that answers before express (true when it answered). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** One block on a shopper's account page: HTML, already escaped, for the signed-in shopper. */
// csrfToken: the shopper session's, for a section's own forms (news opt-in).
export type AccountSection = (shopper: { userId: string; csrfToken: string }) => Promise<AccountSectionHtml> | AccountSectionHtml;

/**
 * What an account section shows. A section that lists orders says how many
 * (`orders`); `ifNoOrders` (the shop's "No orders yet") is shown only when no
 * section of the page lists any, so one module's empty message never sits
 * above another module's purchases.
 */
export type AccountSectionHtml = string | { html: string; orders?: number; ifNoOrders?: string };

/** What a module's hooks get from the site: the context and the services of the other modules. */
export interface ModuleHost {
  readonly ctx: SiteContext;
  /** The service of another module of this site; it must be listed (anywhere) in the site's modules. */
  // A property, not a method: modules are handed `use` on its own (`create({ ctx, use })`).
  readonly use: <T>(module: SiteModule<T>) => T;
  /** Whether a module is part of this site. */
  has(module: SiteModule<unknown>): boolean;
  /** Every module's describePeer, merged (for the peers console). */
  describePeer(peerId: string): Record<string, unknown>;
  /** Tells every module that peers changed. */
  peersChanged(): void;
  /** The site's current content view, from the module that provides it. */
  view(): ContentView;
  /** Every module's account sections, in list order. */
  accountSections(): AccountSection[];
  /** Every module's standing console alerts, in list order. */
  alerts(): ConsoleAlert[];
  /** Every module's partner release filter, in list order. */
  partnerReleaseFilters(): PartnerReleaseFilter[];
}

/** Declares a module with its service type inferred from `create`. */
export function defineModule<S>(m: SiteModule<S>): SiteModule<S> {
  return m;
}
