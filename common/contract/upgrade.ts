import type { Logger } from '../logger.js';
import type { PeerStore } from '../store/peer-store.js';
import { runOnce, type Db } from '../store/sqlite.js';
import type { ContractTerms } from './terms.js';

/**
 * The one-time move of every stored contract to slices (recorded as
 * "contract:1" in schema_migrations). Before it, a contract held the sync terms
 * at its top level and the shop terms (with userCopy) under "shop", and its
 * readers filled in defaults for whatever was missing or wrong.
 *
 * It is TypeScript, not SQL, because each slice must be written through its
 * own schema (defaults filled where the old readers filled them, wrong old
 * values caught), and those schemas, like the knowledge of which old key
 * belongs to which capability, live with the capabilities (`unsliced`), not in
 * the ground floor's SQL.
 *
 * On the main site (peers that are partners) every slice is written, as the
 * old readers' defaults made them; on a partner (the peer is its main site)
 * only what the main site had sent. An old value the schema refuses is kept,
 * unexpanded, so it is reported (GET /admin/api/partners/:id,
 * contractProblems) and pushes to that partner stop until an operator writes
 * it again; it is never replaced by a default.
 */
export function upgradeUnslicedContracts(db: Db, peers: PeerStore, terms: ContractTerms, logger?: Logger): string[] {
  if (!terms.slices.length) return []; // a bare context (benches) knows no slices and leaves contracts alone
  const ran = runOnce(db, { namespace: 'contract', version: 1, name: 'contract_slices' }, () => {
    for (const p of peers.list()) {
      const { contract, problems } = terms.upgradeUnsliced(p.contract, p.role === 'partner');
      peers.rewriteContract(p.id, contract);
      if (problems.length) {
        logger?.warn(
          { event: 'contract_unreadable_after_upgrade', peer: p.id, problems },
          `the stored contract of ${p.id} had terms that do not pass their schema; they are kept and reported, not replaced by defaults`,
        );
      }
    }
  });
  return ran ? ['contract/1 contract_slices (TypeScript)'] : [];
}
