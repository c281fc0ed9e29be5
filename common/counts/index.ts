export { ITEM_KEY_RE, BUILT_IN_ITEM_TYPES, pageItem, paidItem, type ItemKeyOf } from './items.js';
export { RULE_ACTIONS, RULE_MODES, crossings, nextThreshold, itemInput, itemKey, ruleInput, type ItemInput, type RuleAction, type RuleInput, type RuleMode } from './rules.js';
export { AGREEMENT_VERSION, STATEMENT_ROUNDING, statementAmount, supplierAgreement, type SupplierAgreement } from './agreement.js';
export { countsFromBundle } from './recount.js';
