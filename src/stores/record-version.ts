// Which stored version a record was read from, for a store that keeps each version as one object (memory).

/** Each record a store returned → the object standing for the stored version it was read from. */
const versions = new WeakMap<object, object>()

/**
 * Notes that `record` (just built by a store's `get`) was read from `version`: an object the store replaces on every
 * write of the session and never changes in place, so two records read from one version hold the same content.
 * The manager then checks a record's bounds once per version instead of on every load.
 */
export function markVersion(record: object, version: object): void {
  versions.set(record, version)
}

/** The stored version `record` was read from, when its store marks versions; undefined otherwise. */
export function versionOf(record: object): object | undefined {
  return versions.get(record)
}
