// The pure core of component coordination (no HTTP, no store): types, unit merging, picking, the optimal plan, its explanation.
export * from './types.js';
export { componentKey, mergeComponents, pickComponents, reconcileProviderLists, scaleForServings, type ReconciledComponent } from './components.js';
export { convertQuantity, convertible, densityGramsPerMl, formatAmount, isCountWord, normalizeUnit, tidy, unitKind, type UnitKind } from './units.js';
export { planPurchase, totalsOf, withParts, type PlanOptions } from './plan.js';
export { explainPlan, formatPack, formatPackAmount, PRIORITY_WORDS } from './explain.js';
export { greedyTotal } from './greedy.js';
export {
  componentsOfSource,
  jobBlockForPage,
  jobJsonLd,
  jobMethodAddition,
  parseJobMethod,
  renderJobBlock,
  JOB_KINDS,
  type JobBlockOptions,
  type JobKind,
  type JobMethod,
  type JobParse,
} from './job-page.js';
