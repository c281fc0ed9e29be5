import type { ConfigOfSlices, InputOfSlices } from '../../common/config.js';
import { defineConfigSlice, intFromString } from '../../common/config-slice.js';

/** The party portal's settings (login throttles are the consoles' TIEUP_LOGIN_* keys). */
export const portalConfig = defineConfigSlice({
  /** How long an invitation link works. */
  portalInviteHours: intFromString(1, 30 * 24).default(72),
  /** How long a portal session lasts. */
  portalSessionHours: intFromString(1, 24 * 30).default(12),
});

// The ground floor imports no capability: this slice's keys join SiteConfig by declaration merging (see common/config.ts).
declare module '../../common/config.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfig extends ConfigOfSlices<[typeof portalConfig]> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges keys only
  interface SiteConfigInput extends InputOfSlices<[typeof portalConfig]> {}
}
