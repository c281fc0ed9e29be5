import { ContentView } from '../../common/render/content-view.js';
import { DEFAULT_LOOK } from '../../common/render/page-renderer.js';
import type { SiteContext } from '../../common/site/context.js';
import type { ReleaseStore } from './release-store.js';

/** The main site serves its own latest release, in the brand's own look. */
export class MainContent {
  private view: ContentView;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly ctx: SiteContext,
    private readonly releases: ReleaseStore,
  ) {
    this.view = this.build();
  }

  current(): ContentView {
    return this.view;
  }

  private build(): ContentView {
    const rel = this.releases.latest();
    const files = rel ? { number: rel.number, root: rel.root, manifest: rel.manifest, read: (h: string) => this.releases.blob(h)! } : null;
    return new ContentView(files, [], { id: this.ctx.config.siteId, name: 'Tieup Main Store', ...DEFAULT_LOOK });
  }

  refresh(): void {
    this.view = this.build();
    for (const l of this.listeners) l();
  }

  /** Runs after every new view (e.g. to give new products their stock). */
  onRefresh(listener: () => void): void {
    this.listeners.push(listener);
  }
}
