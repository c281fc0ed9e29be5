import { fromRoot } from '../../common/paths.js';
import type { MigrationSet } from '../../common/store/sqlite.js';

export const MAIN_MIGRATIONS: MigrationSet = { namespace: 'main', dir: fromRoot('main-site/store/migrations') };
