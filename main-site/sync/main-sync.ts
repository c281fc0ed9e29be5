import type { FSWatcher } from 'chokidar';
import type { SiteContext } from '../../common/site/context.js';
import type { PartnerReleaseFilter } from '../../common/release/manifest.js';
import type { ReleaseStore } from './release-store.js';
import type { MainSyncStore } from './sync-store.js';
import type { MainContent } from './main-content.js';
import type { PushQueue } from './push-queue.js';
import type { PushScheduler } from './scheduler.js';

/** Everything the main site's sync capability is made of, built once by the composition root. */
export interface MainSync {
  ctx: SiteContext;
  releases: ReleaseStore;
  sync: MainSyncStore;
  content: MainContent;
  queue: PushQueue;
  scheduler: PushScheduler;
  /** The modules' partner release filters (see releaseFor). */
  partnerFilters: () => readonly PartnerReleaseFilter[];
  /** The content folder watcher, when the site publishes on edits. */
  watcher?: FSWatcher;
}
