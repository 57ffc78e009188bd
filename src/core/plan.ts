/**
 * A rollback plan is data: an ordered list of steps, each setting a desired state that is safe to apply
 * again. `ripcord plan` prints it; `ripcord rollback` executes the very same object; the journal stores it.
 *
 * The types live in ./model/plan.ts (a leaf of core, so that nothing importing a plan type closes an import
 * cycle); edit them there. This module re-exports them so that importers keep `core/plan.js`.
 */
export type * from './model/plan.js';
