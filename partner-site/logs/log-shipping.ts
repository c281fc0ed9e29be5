import type { SiteContext } from '../../common/site/context.js';
import { shipLog } from './shipper.js';

/** Ships the log to the main site every logShipMs; never two runs at once, and a failure only waits for the next run. */
export class LogShipping {
  private timer: NodeJS.Timeout | undefined;
  private shipping = false;

  constructor(private readonly ctx: SiteContext) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.shipping) return;
      this.shipping = true;
      void shipLog(this.ctx, this.ctx.logStore)
        .catch((err: unknown) => {
          // Never an unhandled rejection (it would stop the process): a write that failed
          // here (a full disk) is retried with the next run, like a failed call.
          this.ctx.logger.error({ event: 'log_ship_failed', code: (err as { code?: unknown }).code, reason: (err as Error).message }, 'log shipping failed; will retry');
        })
        .finally(() => {
          this.shipping = false;
        });
    }, this.ctx.config.logShipMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
