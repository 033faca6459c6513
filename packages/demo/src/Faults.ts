/**
 * The seeded fault injector: which requests of the carrier API fail, and how. Pure functions of
 * the seed, so a run can be repeated exactly and the naive run faces the same faults.
 *
 * **Details**
 *
 * Every decision is drawn from its own stream, `mulberry32(hash(seed, ...parts))`, never from a
 * shared generator: the k-th request for a key meets the same fault whatever the interleaving of
 * the other jobs, the concurrency, or the retry strategy of the client. Two kinds of decision:
 *
 * - per key, fixed for the whole run (the carrier's "database"): a tracking number is unknown
 *   (404) or its record is malformed (a data error), whatever is retried;
 * - per request (the k-th request for a key): a connection reset, a response slower than the
 *   client's timeout, a 429 with `Retry-After`, a 503 or a 507, or no fault.
 */

/**
 * Tommy Ettinger's mulberry32: a 32-bit generator, small and good enough to pick faults.
 * Returns numbers in [0, 1).
 */
export const mulberry32 = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** FNV-1a over the parts, seeded: the seed of one decision stream. */
export const hash = (seed: number, ...parts: ReadonlyArray<string | number>): number => {
  let h = (0x811C9DC5 ^ seed) >>> 0
  for (const part of parts) {
    const text = `${part}\u0000`
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i)
      h = Math.imul(h, 0x01000193) >>> 0
    }
  }
  return h
}

/** A generator for one decision stream. */
export const stream = (seed: number, ...parts: ReadonlyArray<string | number>): () => number =>
  mulberry32(hash(seed, ...parts))

/** Fault rates, each a probability in [0, 1]. */
export interface FaultRates {
  /** Per request: a connection reset or a response slower than the client's timeout (half each). */
  readonly network: number
  /** Per tracking request: a 429 with `Retry-After`. */
  readonly rateLimit: number
  /** Per request: a 503 (tracking), or a 503 or a 507 (screenshots and documents, half each). */
  readonly serverError: number
  /** Per tracking number: a malformed record. Per document job: a request without its tracking number. */
  readonly malformed: number
  /** Per tracking number: unknown to the carrier (404). */
  readonly unknown: number
}

/** The endpoints of the carrier API. */
export type Endpoint = "tracking" | "screenshot" | "document"

/** What the server does with one request before looking at its content. */
export type Fault =
  | { readonly _tag: "None" }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "SlowResponse" }
  | { readonly _tag: "RateLimited"; readonly retryAfterSimulatedSeconds: number }
  | { readonly _tag: "Unavailable" }
  | { readonly _tag: "InsufficientStorage" }

/** Retry-After of a 429 in simulated seconds: 1 to 3 simulated minutes, as carriers announce. */
const RETRY_AFTER_MIN = 60
const RETRY_AFTER_MAX = 180

/** The fault of the `index`-th (0-based) request for `key` at `endpoint`. */
export const requestFault = (
  seed: number,
  rates: FaultRates,
  endpoint: Endpoint,
  key: string,
  index: number
): Fault => {
  const next = stream(seed, "request", endpoint, key, index)
  const u = next()
  const half = next() < 0.5
  if (u < rates.network) return half ? { _tag: "Reset" } : { _tag: "SlowResponse" }
  let threshold = rates.network
  if (endpoint === "tracking") {
    threshold += rates.rateLimit
    if (u < threshold) {
      const seconds = RETRY_AFTER_MIN + Math.floor(next() * (RETRY_AFTER_MAX - RETRY_AFTER_MIN + 1))
      return { _tag: "RateLimited", retryAfterSimulatedSeconds: seconds }
    }
  }
  threshold += rates.serverError
  if (u < threshold) {
    return endpoint !== "tracking" && half ? { _tag: "InsufficientStorage" } : { _tag: "Unavailable" }
  }
  return { _tag: "None" }
}

/** What the carrier holds for a tracking number. */
export type TrackingRecord = "ok" | "unknown" | "malformed_json" | "invalid_record"

/** The record of a tracking number: fixed for the run, whatever is retried. */
export const trackingRecord = (seed: number, rates: FaultRates, trackingNumber: string): TrackingRecord => {
  const u = stream(seed, "record", trackingNumber)()
  if (u < rates.unknown) return "unknown"
  if (u < rates.unknown + rates.malformed) {
    // Half truncated JSON (platform's Decode), half JSON that fails the schema (a ParseError).
    return u < rates.unknown + rates.malformed / 2 ? "malformed_json" : "invalid_record"
  }
  return "ok"
}

/** The Retry-After header value for a simulated wait: whole real seconds, at least 1. */
export const retryAfterSeconds = (simulatedSeconds: number, timeScale: number): number =>
  Math.max(1, Math.ceil(simulatedSeconds * timeScale))
