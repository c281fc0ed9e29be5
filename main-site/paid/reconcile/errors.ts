import { defineErrors } from '../../../common/errors.js';

/** Codes of reconciliation and supplier statements (s2s and the console). */
export const reconcileErrors = defineErrors('paid', {
  invalid_statement: { status: 400 },
  statement_not_found: { status: 404, message: 'there is no statement for this partner and period' },
  statement_not_held: { status: 409, message: 'only a held statement can be accepted (a corrected one may have replaced it)' },
  reason_required: { status: 400, message: 'accepting a held statement needs a reason' },
  invalid_supplier_contract: { status: 400 },
  supplier_contract_not_found: { status: 404, message: 'there is no contract in force for this supplier and period' },
  supplier_statement_not_found: { status: 404 },
});
