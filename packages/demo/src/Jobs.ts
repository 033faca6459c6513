/**
 * The work: tracking queries, with a screenshot and a document job in every ten, the guide's
 * three scenarios. Generated from the seed, so both runs process the same jobs.
 */
import type { FaultRates } from "./Faults.js"
import { stream } from "./Faults.js"

/** The guide's three business scenarios. */
export type JobKind = "tracking" | "screenshot" | "document"

/** The kinds, in report order. */
export const jobKinds: ReadonlyArray<JobKind> = ["tracking", "screenshot", "document"]

/** One unit of work. */
export interface Job {
  readonly kind: JobKind
  /**
   * What the server knows the job by: the tracking number of a query, the `Idempotency-Key` of a
   * screenshot or a document.
   */
  readonly key: string
  /** The parcel; `undefined` for a document job whose input lacks it (a data error). */
  readonly trackingNumber: string | undefined
}

const ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

/** A UPS-like tracking number: `1Z` and 16 characters. */
const trackingNumber = (seed: number, i: number): string => {
  const next = stream(seed, "tracking-number", i)
  let id = "1Z"
  for (let k = 0; k < 16; k++) id += ALPHABET[Math.floor(next() * ALPHABET.length)]
  return id
}

/** `count` jobs: in every ten, eight tracking queries, one screenshot, one document. */
export const makeJobs = (seed: number, count: number, rates: FaultRates): ReadonlyArray<Job> =>
  Array.from({ length: count }, (_, i): Job => {
    const parcel = trackingNumber(seed, i)
    switch (i % 10) {
      case 4:
        return { kind: "screenshot", key: `shot-${seed}-${i}`, trackingNumber: parcel }
      case 9: {
        const missing = stream(seed, "document-input", i)() < rates.malformed
        return { kind: "document", key: `doc-${seed}-${i}`, trackingNumber: missing ? undefined : parcel }
      }
      default:
        return { kind: "tracking", key: parcel, trackingNumber: parcel }
    }
  })
