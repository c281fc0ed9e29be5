import type { Witness } from './witness.js';

/**
 * The main site's logs capability as other capabilities see it: the witness,
 * and a place to attach what a site's audit bundle should carry when asked
 * (the fee contract, for example), so logs need not know who attaches it.
 */
export class MainLogs {
  private attachment: (site: string) => unknown = () => undefined;

  constructor(readonly witness: Witness) {}

  attachToBundles(attachment: (site: string) => unknown): void {
    this.attachment = attachment;
  }

  bundleAttachment(site: string): unknown {
    return this.attachment(site);
  }
}
