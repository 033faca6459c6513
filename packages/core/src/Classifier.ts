/**
 * The classifier: maps any failure, ours or foreign, onto one of the six categories. It is total:
 * whatever it is given (null, a symbol, a Proxy that throws on every access, a cyclic cause
 * chain, a 10 MB message), it returns a category and never throws.
 *
 * **Rules, in order**
 *
 * 1. The six error classes of `RetryErrors` map to their own category.
 * 2. Effect's `Cause.TimeoutException` is `network_error`; Schema's `ParseError` is `data_error`.
 * 3. `@effect/platform` errors, by duck typing (`_tag` and `reason`): `RequestError` `Transport`
 *    is a transport failure (rule 7); `Encode`, `InvalidUrl`, `Decode` and `EmptyBody` are
 *    `data_error`; a `ResponseError` `StatusCode` goes by its status.
 * 4. An HTTP status on `status`, `statusCode` or `response.status` (a number or a numeric string),
 *    by {@link statusTable}; every 3xx is `permanent_error` (a redirect or a 304 is an answer).
 * 5. A Node or undici error `code` ({@link networkCodes} are `network_error`, {@link systemCodes}
 *    `system_error`, {@link permanentCodes} — TLS certificates, requests that cannot be built,
 *    `UND_ERR_ABORTED` — `permanent_error`).
 * 6. A `TimeoutError` (as from `AbortSignal.timeout`) is `network_error`; an `AbortError` (the
 *    caller's own `AbortController`) is `permanent_error`; an `AggregateError` whose members all
 *    carry network codes is `network_error`; undici's code-less "redirect count exceeded",
 *    "unexpected redirect" and "bad port" are `permanent_error`.
 * 7. Rules 1–6 are also tried along the `cause` chain, at most 8 links deep, an Effect `Cause` or
 *    `Exit` being read as its failure (else its defect): a wrapper around a network failure is a
 *    network failure. A transport failure (`RequestError` `Transport`, fetch's
 *    `TypeError("fetch failed")`) is `network_error` when no link below it says more.
 * 8. A programming error — `TypeError` without a network cause, `RangeError`, `ReferenceError`,
 *    `SyntaxError` — is `permanent_error`, even under a transport failure (fetch refusing a URL
 *    with credentials).
 * 9. Anything else is the fallback, `temporary_error` unless configured.
 *
 * @since 0.1.0
 */
export {
  /**
   * Every category, in the order of the guide.
   *
   * @since 0.1.0
   * @category constants
   */
  categories,
  /**
   * Whether a value is one of the six categories.
   *
   * @since 0.1.0
   * @category guards
   */
  isErrorCategory
} from "./ErrorCategory.js"
import type * as Layer from "effect/Layer"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/classifier.js"
import * as http from "./internal/http.js"
import { call } from "./internal/safe.js"
import type { InvalidPolicyError } from "./internal/validate.js"

/**
 * A user's classification rule: a category, or `undefined` to defer to the built-in rules.
 *
 * @since 0.1.0
 * @category models
 */
export type ClassifyFn<E = unknown> = (error: E) => ErrorCategory | undefined

/**
 * The `_tag`s of the tagged members of an error union.
 *
 * @since 0.1.0
 * @category models
 */
export type Tags<E> = E extends { readonly _tag: infer T extends string } ? T : never

/**
 * An exhaustive map from every `_tag` of an error union to a category. A missing tag is a
 * compile error, so adding a case to `E` forces a decision about how to retry it.
 *
 * @example
 * ```ts
 * import { Data } from "effect"
 * import { Classifier } from "@intelligent-retry/core"
 *
 * class CarrierDown extends Data.TaggedError("CarrierDown")<{}> {}
 * class BadTrackingNumber extends Data.TaggedError("BadTrackingNumber")<{}> {}
 *
 * const byTag: Classifier.TagMap<CarrierDown | BadTrackingNumber> = {
 *   CarrierDown: "temporary_error",
 *   BadTrackingNumber: "data_error"
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TagMap<E> = { readonly [K in Tags<E>]: ErrorCategory }

/**
 * Options of {@link classify} and of the {@link Classifier} service.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassifierOptions {
  /** Category of anything no rule recognises. Default: `temporary_error`. */
  readonly fallback?: ErrorCategory | undefined
  /** Tried before the built-in rules; `undefined` defers to them. A rule that throws is skipped. */
  readonly classify?: ClassifyFn | undefined
}

/**
 * Installs a classifier for every run under the layer (the {@link Classifier} tag).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Classifier, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * const program = Effect.fail(new Error("unknown")).pipe(
 *   withIntelligentRetry({ task: "sync" }),
 *   Effect.provide(Classifier.layer({ fallback: "permanent_error" }))
 * )
 * ```
 *
 * A `fallback` that is not a category fails the layer with an `InvalidPolicyError` naming it and
 * the value.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: (options: ClassifierOptions) => Layer.Layer<Classifier, InvalidPolicyError> = internal.layer

/**
 * The classifier `withIntelligentRetry` uses when a run gives none of its own, as a
 * `Context.Reference`. Its default applies the built-in rules with `temporary_error` as fallback;
 * {@link layer} installs another.
 *
 * @since 0.1.0
 * @category tags
 */
export const Classifier: typeof internal.ClassifierTag = internal.ClassifierTag

/**
 * @since 0.1.0
 * @category tags
 */
export type Classifier = internal.ClassifierTag

/**
 * The category of any value. Never throws.
 *
 * @example
 * ```ts
 * import { classify } from "@intelligent-retry/core"
 *
 * classify({ code: "ECONNRESET" }) // "network_error"
 * classify({ status: 429 }) // "api_rate_limit"
 * classify(null) // "temporary_error"
 * classify(new Error("?"), { fallback: "permanent_error" }) // "permanent_error"
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const classify = (error: unknown, options?: ClassifierOptions): ErrorCategory =>
  internal.classifyWith(error, options)

/**
 * The wait the server asked for, in milliseconds from `now`, carried by an error: a
 * `RateLimitError`'s `retryAfter`, or the hint headers of a 429 or 503 response (see
 * {@link hintFromHeaders}). `undefined` when there is none. Never throws.
 *
 * @since 0.1.0
 * @category getters
 */
export const serverHint = (error: unknown, now: number): number | undefined =>
  call(() => internal.hintMillis(error, now))

/**
 * The wait a response's headers ask for, in milliseconds from `now`. Precedence:
 * 1. `Retry-After`, as delta-seconds or an HTTP-date (RFC 9110 §10.2.3); a past date is 0;
 * 2. the IETF draft `RateLimit` header's `t` parameter, or the older draft's `RateLimit-Reset`;
 * 3. `X-RateLimit-Reset`, as epoch seconds (a value below 10^9 is read as delta-seconds).
 *
 * An unparsable header is ignored, never an error. Headers may be a Fetch `Headers`, a plain
 * record, or Node's `IncomingHttpHeaders`.
 *
 * @since 0.1.0
 * @category getters
 */
export const hintFromHeaders = (headers: unknown, now: number): number | undefined =>
  call(() => http.hintFromHeaders(headers, now))

/**
 * Parses one `Retry-After` value into milliseconds from `now`.
 *
 * @since 0.1.0
 * @category getters
 */
export const parseRetryAfter: (value: string, now: number) => number | undefined = http.parseRetryAfter

/**
 * The category of an HTTP status that fails a request (300–599); `undefined` for other statuses.
 *
 * | status | category |
 * | --- | --- |
 * | 408 | `network_error` |
 * | 429 | `api_rate_limit` |
 * | 400, 413, 414, 415, 422, 431 | `data_error` |
 * | 507 | `system_error` |
 * | 409, 423, 425, 500, 502, 503, 504, other 5xx | `temporary_error` |
 * | every 3xx; 401, 403, 404, 405, 410, 501, 505, 511, other 4xx | `permanent_error` |
 *
 * @since 0.1.0
 * @category getters
 */
export const statusCategory: (status: number) => ErrorCategory | undefined = http.statusCategory

/**
 * The explicit entries of the status table (see {@link statusCategory}).
 *
 * @since 0.1.0
 * @category constants
 */
export const statusTable: Readonly<Record<number, ErrorCategory>> = http.statusTable

/**
 * The category of an `@effect/platform` `HttpClientError` reason other than `StatusCode`:
 * `Transport` is `network_error`; `Encode`, `InvalidUrl`, `Decode` and `EmptyBody` are
 * `data_error`.
 *
 * @since 0.1.0
 * @category getters
 */
export const reasonCategory = (reason: string): ErrorCategory | undefined => http.reasonTable[reason]

/**
 * Node and undici error codes that mean the network failed.
 *
 * @since 0.1.0
 * @category constants
 */
export const networkCodes: ReadonlySet<string> = internal.networkCodes

/**
 * Node error codes that mean a resource ran out.
 *
 * @since 0.1.0
 * @category constants
 */
export const systemCodes: ReadonlySet<string> = internal.systemCodes

/**
 * Node and undici error codes of failures that the same request meets again: TLS certificates
 * that do not verify, requests that cannot be built, and `UND_ERR_ABORTED` (the caller aborted).
 *
 * @since 0.1.0
 * @category constants
 */
export const permanentCodes: ReadonlySet<string> = internal.permanentCodes
