/**
 * The built-in classification rules. Total: never throws, bounded work on any input.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ClassifierOptions } from "../Classifier.js"
import { ErrorCategory, isErrorCategory } from "./errorCategory.js"
import { CircuitOpenTypeId, TypeId } from "./errors.js"
import { headersOf, hintFromHeaders, isHintStatus, reasonTable, statusCategory, statusOf } from "./http.js"
import { show } from "./policy.js"
import { call, get, getString, isObjectLike } from "./safe.js"
import { fail, type InvalidPolicyError } from "./validate.js"

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

/**
 * Codes of failures that the same request meets again, whatever the wait: a TLS certificate that
 * does not verify, a request that cannot be constructed, an argument Node or undici refuses, and
 * undici's `UND_ERR_ABORTED` (the caller aborted). They are `permanent_error`.
 *
 * @internal
 */
export const permanentCodes: ReadonlySet<string> = new Set([
  // TLS: the certificate or the protocol will not change on the next attempt
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_CERT_ALTNAME_FORMAT",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  // a request that cannot be built
  "ERR_INVALID_URL",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_INVALID_CHAR",
  "ERR_UNESCAPED_CHARACTERS",
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  // the caller cancelled
  "UND_ERR_ABORTED"
])

/** Messages that fetch implementations give a failed network request (undici, browsers). @internal */
const fetchFailureMessages: ReadonlySet<string> = new Set([
  "fetch failed",
  "Failed to fetch",
  "NetworkError when attempting to fetch resource.",
  "Load failed",
  "Network request failed"
])

/**
 * Messages of undici's fetch for failures that carry no code and that the same request meets again:
 * a redirect loop past the limit, a redirect under `redirect: "error"`, a port fetch refuses.
 */
const deterministicFetchMessages: ReadonlySet<string> = new Set([
  "redirect count exceeded",
  "unexpected redirect",
  "bad port"
])

/** Built-in errors that mean a bug in the caller's code: retrying runs the same bug again. */
const programmingErrors: ReadonlySet<string> = new Set(["TypeError", "RangeError", "ReferenceError", "SyntaxError"])

const MAX_SHORT = 128
/** How many members of an `AggregateError` are examined. */
const MAX_AGGREGATE = 4

/**
 * What one link of a cause chain says:
 * - a category: decisive;
 * - `WEAK_NETWORK`: a transport failure (`RequestError` `Transport`, a fetch "fetch failed"),
 *   `network_error` unless its causes say more;
 * - `PROGRAMMING`: a programming error (`TypeError`, ...), `permanent_error` unless a cause says more.
 */
const WEAK_NETWORK = 0
const PROGRAMMING = 1
type Finding = ErrorCategory | typeof WEAK_NETWORK | typeof PROGRAMMING | undefined

const byTag = (u: object, tag: string): Finding => {
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
      // A transport failure is a network failure unless its cause shows a deterministic one (a
      // redirect loop, a URL with credentials, a certificate): read the cause first.
      if (reason === "Transport") return WEAK_NETWORK
      return reason === undefined ? undefined : reasonTable[reason]
    }
  }
  return undefined
}

const codeCategory = (code: string | undefined): ErrorCategory | undefined =>
  code === undefined
    ? undefined
    : networkCodes.has(code)
    ? ErrorCategory.NETWORK_ERROR
    : systemCodes.has(code)
    ? ErrorCategory.SYSTEM_ERROR
    : permanentCodes.has(code)
    ? ErrorCategory.PERMANENT_ERROR
    : undefined

/** An `AggregateError` (Node's happy eyeballs: every address refused) whose members all carry network codes. */
const aggregateCategory = (u: object): ErrorCategory | undefined => {
  const errors = get(u, "errors")
  if (!Array.isArray(errors) || errors.length === 0) return undefined
  const n = Math.min(errors.length, MAX_AGGREGATE)
  let category: ErrorCategory | undefined
  for (let i = 0; i < n; i++) {
    const member = codeCategory(getString(errors[i], "code", MAX_SHORT))
    if (member === undefined || (category !== undefined && member !== category)) return undefined
    category = member
  }
  return category
}

const one = (u: object): Finding => {
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
  const byCode = codeCategory(getString(u, "code", MAX_SHORT))
  if (byCode !== undefined) return byCode
  const name = getString(u, "name", MAX_SHORT)
  if (name === "TimeoutError") return ErrorCategory.NETWORK_ERROR
  // the caller's own AbortController: the caller cancelled, a retry would be against its will
  if (name === "AbortError") return ErrorCategory.PERMANENT_ERROR
  const aggregated = aggregateCategory(u)
  if (aggregated !== undefined) return aggregated
  const message = getString(u, "message", MAX_SHORT)
  if (message !== undefined) {
    if (fetchFailureMessages.has(message)) return WEAK_NETWORK
    if (deterministicFetchMessages.has(message)) return ErrorCategory.PERMANENT_ERROR
  }
  if (name !== undefined && programmingErrors.has(name)) return PROGRAMMING
  return undefined
}

/**
 * An Effect `Exit` or `Cause` given as an error is read as what it failed with: its typed failure,
 * else its defect. Anything else is itself.
 */
const unwrap = (u: unknown): unknown => {
  if (!isObjectLike(u)) return u
  const cause = call((): Cause.Cause<unknown> | undefined =>
    Exit.isExit(u) ? (Exit.isFailure(u) ? u.cause : undefined) : Cause.isCause(u) ? u : undefined
  )
  if (cause === undefined) return u
  return call(() => Option.getOrUndefined(Cause.failureOption(cause)) ?? Option.getOrUndefined(Cause.dieOption(cause)))
}

/**
 * The built-in rules, or `undefined` when none applies. Walks at most {@link MAX_CAUSE_DEPTH}
 * links of the `cause` chain: an error wrapping a network failure is a network failure. The first
 * decisive link wins. A transport failure (a `RequestError` `Transport`, a fetch "fetch failed")
 * is `network_error` unless a link below it is decisive (a redirect loop, a certificate) or a
 * programming error (a `TypeError` such as fetch's "Request cannot be constructed from a URL that
 * includes credentials"), which is `permanent_error`. A programming error with no transport
 * failure above it is `permanent_error` too.
 *
 * @internal
 */
export const builtin = (error: unknown): ErrorCategory | undefined => {
  let transport = false
  let programming = false
  let current = unwrap(error)
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObjectLike(current); depth++) {
    const finding = one(current)
    if (finding === WEAK_NETWORK) transport = true
    else if (finding === PROGRAMMING) programming = true
    else if (finding !== undefined) return finding
    current = unwrap(get(current, "cause"))
  }
  if (programming) return ErrorCategory.PERMANENT_ERROR
  return transport ? ErrorCategory.NETWORK_ERROR : undefined
}

/**
 * The server's hint carried by an error, in milliseconds from `now`: a `RateLimitError`'s
 * `retryAfter`, or the hint headers of a 429 or 503 response found on the error or along its
 * cause chain.
 *
 * @internal
 */
export const hintMillis = (error: unknown, now: number): number | undefined => {
  let current = unwrap(error)
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && isObjectLike(current); depth++) {
    if (get(current, TypeId) === TypeId) {
      const retryAfter = get(current, "retryAfter")
      if (Duration.isDuration(retryAfter)) return Duration.toMillis(retryAfter)
    }
    if (isHintStatus(statusOf(current))) {
      const hint = hintFromHeaders(headersOf(current), now)
      if (hint !== undefined) return hint
    }
    current = unwrap(get(current, "cause"))
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

// -----------------------------------------------------------------------------
// the service
// -----------------------------------------------------------------------------

const validateOptions = (options: ClassifierOptions): Either.Either<ClassifierOptions, InvalidPolicyError> =>
  options.fallback !== undefined && !isErrorCategory(options.fallback)
    ? fail("fallback", options.fallback, `must be one of the six error categories, got ${show(options.fallback)}`)
    : Either.right(options)

/**
 * Installs a classifier (`Classifier.layer`), kept in the declarations: the tag's static alias
 * refers to it.
 *
 * @since 0.2.0
 */
export const layer = (options: ClassifierOptions): Layer.Layer<ClassifierTag, InvalidPolicyError> =>
  Layer.effect(ClassifierTag, validateOptions(options))

/**
 * The tag behind `Classifier.Classifier`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class ClassifierTag extends Context.Reference<ClassifierTag>()("@intelligent-retry/core/Classifier", {
  defaultValue: (): ClassifierOptions => ({})
}) {
  /**
   * The same function as `Classifier.layer`, kept for the deprecated root alias
   * `RetryClassifier.layer`.
   *
   * @deprecated Use `Classifier.layer`.
   * @since 0.1.0
   */
  static readonly layer: typeof layer = layer
}
