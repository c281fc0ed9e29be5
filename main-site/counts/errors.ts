import { defineErrors } from '../../common/errors.js';

/** Every code the counts capability answers with (console API and pages). */
export const countsErrors = defineErrors('counts', {
  invalid_item: { status: 400 },
  invalid_rule: { status: 400 },
  invalid_agreement: { status: 400 },
  item_not_found: { status: 404, message: 'no counted item with this key; register it first' },
  rule_not_found: { status: 404, message: 'no such rule' },
  party_not_found: { status: 404, message: 'no such party at the portal' },
  owner_not_a_supplier: { status: 400, message: 'counted items belong to a supplier or advertiser party' },
  statement_needs_price: { status: 400, message: 'a revenue-share statement rule needs the item price in points' },
  statement_needs_agreement: { status: 400, message: "a revenue-share statement rule needs the supplier's revenue-share agreement" },
  type_taken: { status: 409 },
});
