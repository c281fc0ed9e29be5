import type { Witness, WitnessListener } from './witness.js';

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
