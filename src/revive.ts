/**
 * `revive`: makes sabkit objects received from another thread live again.
 *
 * @module
 */

export { revive } from "./_handle.ts";
