// The data-version rule every store with `keepsDataVersion` applies in `patch` (docs/data.md).
import type { SessionPatch } from './types.ts'

/**
 * True when a patch must be refused ('conflict', nothing changed) because the record's data version `stored`
 * (absent: 1) differs from the patch's: a higher one is a newer deploy's data, which is never overwritten in an older
 * shape; a lower one may only be raised by a compare-and-swap of the whole record (`expectVersion`), the upgrade.
 */
export function dataVersionRefused(stored: number, patch: SessionPatch): boolean {
  if (patch.dataVersion === undefined || stored === patch.dataVersion) return false
  return stored > patch.dataVersion || patch.expectVersion === undefined
}
