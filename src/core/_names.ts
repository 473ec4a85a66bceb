/**
 * The kind names of sabkit's classes, by prototype: what messages call a
 * sabkit object. Class names are no guide: a bundler renames classes
 * (`_Lock`, or `je` when minified).
 *
 * @module
 */

/** Filled by `defineKind`; read by `describe`. */
export const KIND_NAMES_BY_PROTOTYPE: WeakMap<object, string> = new WeakMap();
