import { fromRoot } from '../../common/paths.js';
import type { MigrationSet } from '../../common/store/sqlite.js';

export const PARTNER_MIGRATIONS: MigrationSet = { namespace: 'partner', dir: fromRoot('partner-site/store/migrations') };
