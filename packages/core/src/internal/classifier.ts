/**
 * The built-in classification rules. Total: never throws, bounded work on any input.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import type { ClassifierOptions } from "../Classifier.js"
import { ErrorCategory, isErrorCategory } from "../ErrorCategory.js"
import { CircuitOpenTypeId, TypeId } from "../RetryErrors.js"
import { headersOf, hintFromHeaders, isHintStatus, reasonTable, statusCategory, statusOf } from "./http.js"
import { call, get, getString, isObjectLike } from "./safe.js"

/** How many links of a `cause` chain are examined; the chain may be cyclic or 10,000 deep. @internal */
export const MAX_CAUSE_DEPTH = 8

/** @internal */
export const networkCodes: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED"
])

/** @internal */
export const systemCodes: ReadonlySet<string> = new Set(["ENOMEM", "EMFILE", "ENFILE", "ENOSPC"])

/** Messages that fetch implementations give a failed network request (undici, browsers). @internal */
const fetchFailureMessages: ReadonlySet<string> = new Set([
  "fetch failed",
  "Failed to fetch",
  "NetworkError when attempting to fetch resource.",
  "Load failed",
  "Network request failed"
])

const MAX_SHORT = 128

const byTag = (u: object, tag: string): ErrorCategory | undefined => {
  switch (tag) {
    case "TimeoutException":
      return ErrorCategory.NETWORK_ERROR
    case "ParseError":
      return ErrorCategory.DATA_ERROR
    case "CircuitOpenError":
      // shed by a breaker: retrying at once would only be shed again
      return ErrorCategory.PERMANENT_ERROR
    case "RequestError":
    case "ResponseError": {
      const reason = getString(u, "reason", MAX_SHORT)
      if (reason === "StatusCode") {
        const status = statusOf(u)
        return status === undefined ? undefined : statusCategory(status)
      }
      return reason === undefined ? undefined : reasonTable[reason]
    }
  }
  return undefined
}

const one = (u: object): ErrorCategory | undefined => {
  if (get(u, TypeId) === TypeId) {
    const category = get(u, "category")
    if (isErrorCategory(category)) return category
  }
  const tag = getString(u, "_tag", MAX_SHORT)
  const tagged = tag === undefined ? undefined : byTag(u, tag)
  if (tagged !== undefined) return tagged
  const status = statusOf(u)
  const byStatus = status === undefined ? undefined : statusCategory(status)
  if (byStatus !== undefined) return byStatus
  const code = getString(u, "code", MAX_SHORT)
  if (code !== undefined) {
    if (networkCodes.has(code)) return ErrorCategory.NETWORK_ERROR
    if (systemCodes.has(code)) return ErrorCategory.SYSTEM_ERROR
  }
  if (getString(u, "name", MAX_SHORT) === "TimeoutError") return ErrorCategory.NETWORK_ERROR
  return undefined
}

/**
 * The built-in rules, or `undefined` when none applies. Walks at most {@link MAX_CAUSE_DEPTH}
 * links of the `cause` chain: an error wrapping a network failure is a network failure.
 *
 * @internal
 */
export const builtin = (error: unknown): ErrorCategory | undefined => {
  let fetchFailed = false
  let current = error
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObjectLike(current); depth++) {
    const category = one(current)
    if (category !== undefined) return category
    if (!fetchFailed) {
      const message = getString(current, "message", MAX_SHORT)
      fetchFailed = message !== undefined && fetchFailureMessages.has(message)
    }
    current = get(current, "cause")
  }
  return fetchFailed ? ErrorCategory.NETWORK_ERROR : undefined
}

/**
 * The server's hint carried by an error, in milliseconds from `now`: a `RateLimitError`'s
 * `retryAfter`, or the hint headers of a 429 or 503 response found on the error or along its
 * cause chain.
 *
 * @internal
 */
export const hintMillis = (error: unknown, now: number): number | undefined => {
  let current = error
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObjectLike(current); depth++) {
    if (get(current, TypeId) === TypeId) {
      const retryAfter = get(current, "retryAfter")
      if (Duration.isDuration(retryAfter)) return Duration.toMillis(retryAfter)
    }
    if (isHintStatus(statusOf(current))) {
      const hint = hintFromHeaders(headersOf(current), now)
      if (hint !== undefined) return hint
    }
    current = get(current, "cause")
  }
  return undefined
}

/** A `CircuitOpenError`, itself or along the cause chain (the platform wraps it in a `RequestError`). */
const shedByBreaker = (error: unknown): boolean => {
  let current = error
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObjectLike(current); depth++) {
    if (get(current, CircuitOpenTypeId) === CircuitOpenTypeId) return true
    current = get(current, "cause")
  }
  return false
}

/**
 * A user's rule first (a rule that throws or answers anything but a category is skipped), then
 * the built-in rules, then the fallback.
 *
 * @internal
 */
export const classifyWith = (error: unknown, options: ClassifierOptions | undefined): ErrorCategory => {
  // the library never retries a run a circuit breaker shed, whatever a custom rule says
  if (shedByBreaker(error)) return ErrorCategory.PERMANENT_ERROR
  const custom = options?.classify
  if (custom !== undefined) {
    const category = call(() => custom(error))
    if (isErrorCategory(category)) return category
  }
  return call(() => builtin(error)) ?? options?.fallback ?? ErrorCategory.TEMPORARY_ERROR
}
