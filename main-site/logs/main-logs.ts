import type { LogStore } from '../../common/store/log-store.js';
import type { SiteLog } from '../../common/logchain/site-log.js';
import type { Witness, WitnessListener } from './witness.js';

/**
 * The main site's logs capability as other capabilities see it: the witness,
 * and a place to attach what a site's audit bundle should carry when asked
 * (the fee contract, for example), so logs need not know who attaches it.
 */
export class MainLogs {
  private attachment: (site: string) => unknown = () => undefined;

  constructor(
    readonly witness: Witness,
    private readonly own?: { log: SiteLog; store: LogStore },
  ) {}

  /**
   * Who viewed a path on any site of the network while logged in: this site's
   * own log (flushed first, so a view a moment ago counts) and every partner's
   * accepted log (as far as it has been shipped).
   */
  viewersOf(path: string): Set<string> {
    const out = new Set(this.witness.store.usersWhoViewed(path));
    if (this.own) {
      try {
        this.own.log.flush();
      } catch {
        // A log that cannot be written now still answers with what it holds.
      }
      for (const u of this.own.store.usersWhoViewed(path)) out.add(u);
    }
    return out;
  }

  attachToBundles(attachment: (site: string) => unknown): void {
    this.attachment = attachment;
  }

  /**
   * Extension point: `fn` is told of every partner shipment the witness
   * accepts, after its verified entries and signed checkpoint are stored
   * (delivery counts count them). Entries that fail verification are never
   * stored and never passed on.
   */
  onWitnessed(fn: WitnessListener): void {
    this.witness.listeners.push(fn);
  }

  bundleAttachment(site: string): unknown {
    return this.attachment(site);
  }
}
