/**
 * A retry policy: what one category does on failure, with its limits. Policies are validated
 * once, with Schema, and compile to a `Schedule` that plain `Effect.retry` can use too.
 *
 * **Delay semantics** (n is the 0-based index of the retry within its category; times in
 * `Duration`):
 *
 * | decision | wait before retry n |
 * | --- | --- |
 * | `retry_immediately` | 0 for n = 0; `min(maxDelay, baseDelay × backoffFactor^(n−1))` for n ≥ 1 |
 * | `retry_with_delay` | `min(maxDelay, baseDelay × backoffFactor^n)` |
 * | `retry_with_backoff` | `min(maxDelay, baseDelay × backoffFactor^n)` |
 * | `no_retry` (or `maxRetries: 0`) | no retry: the original error surfaces at once |
 *
 * `retry_with_delay` and `retry_with_backoff` share the formula on purpose: the guide's rate-limit
 * strategy is a delay that grows (factor 2: 5, 10, 20 minutes). The name records the intent, a
 * cool-down imposed by the other side versus backing off from a struggling resource; a fixed
 * cool-down is `retry_with_delay` with `backoffFactor: 1`.
 *
 * Jitter then draws from Effect's `Random`: `true` or `"full"` uniformly from [0, wait];
 * `"equal"` from [wait/2, wait]; `"decorrelated"` is `min(maxDelay, uniform(baseDelay, 3 ×
 * previous wait))`. Waits are whole milliseconds. A server hint raises the wait to at least the
 * hint (with jitter, spread above it by up to 10% of the hint, at most 1 s), or with `hint: "exact"`
 * sets it to the hint plus that spread (see {@link HintRule}); a hint above `maxDelay` stops
 * retrying.
 *
 * **The wait ceiling.** No wait, computed or hinted, is ever NaN, infinite or above one ceiling:
 * `RetryConfig.Settings.maxWait`, 24 hours by default, always below 2³¹ − 1 ms (beyond which Node's
 * timers fire at once). `maxDelay` is read as `min(maxDelay, ceiling)`, so a huge `backoffFactor`
 * or an unbounded `maxDelay` gives waits of at most the ceiling, and a hint above the ceiling ends
 * the run with `hint_exceeds_max_delay`. A `baseDelay` that is infinite or not below 2³¹ − 1 ms is
 * rejected when the policy is decoded.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Schedule from "effect/Schedule"
import * as plan from "./internal/plan.js"
import * as internal from "./internal/policy.js"
import * as retryPolicy from "./internal/retryPolicy.js"
import * as validate from "./internal/validate.js"

export {
  /**
   * Every decision, in order.
   *
   * @since 0.1.0
   * @category constants
   */
  decisions,
  /**
   * Whether a value is one of the decisions.
   *
   * @since 0.1.0
   * @category guards
   */
  isRetryDecision
} from "./RetryDecision.js"
import type { RetryDecision } from "./RetryDecision.js"

/**
 * How waits are randomised. `true` is the same as `"full"`.
 *
 * @since 0.1.0
 * @category models
 */
export type Jitter = boolean | "full" | "equal" | "decorrelated"

/**
 * How a server hint (Retry-After, X-RateLimit-Reset, `RateLimitError.retryAfter`) sets the wait:
 *
 * - `"at least"`: the larger of the policy's own wait and the hint (spread above the hint when the
 *   policy jitters). The default for policies you write.
 * - `"exact"`: the hint plus the spread, whatever the policy's own wait: the server knows when it
 *   will serve again. Without a hint the policy's own wait applies unchanged. The built-in tables'
 *   `api_rate_limit` policies use it.
 *
 * The spread above a hint is `r × min(10% of the hint, 1 second)`, `r` drawn from `Random`: for
 * `"at least"` only when the policy jitters, for `"exact"` always (clients told the same reset time
 * must not all come back at once). A hint above `maxDelay` stops retrying either way.
 *
 * @since 0.1.0
 * @category models
 */
export type HintRule = "at least" | "exact"

/**
 * A validated policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  /** What to do with a failure of this category. */
  readonly decision: RetryDecision
  /** Retries allowed for this category within one run, an integer ≥ 0. */
  readonly maxRetries: number
  /** The first delay, multiplied by `backoffFactor` for each further retry. */
  readonly baseDelay: Duration.Duration
  /**
   * No wait exceeds this, nor the wait ceiling (`RetryConfig.Settings.maxWait`, default 24 hours);
   * a server hint above either stops retrying.
   */
  readonly maxDelay: Duration.Duration
  /** Growth of the delay per retry, a finite number ≥ 1. */
  readonly backoffFactor: number
  /** Randomisation of each wait. */
  readonly jitter: Jitter
  /** How a server hint sets the wait. */
  readonly hint: HintRule
}

/**
 * What a user writes: `decision` and any of the other fields. Durations may be milliseconds,
 * strings such as `"5 seconds"`, or `Duration` values.
 *
 * Defaults of omitted fields: `maxRetries` 3, `baseDelay` 1 second, `maxDelay` unbounded,
 * `backoffFactor` 2, `jitter` false, `hint` `"at least"`. No default limits a field you set.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicyInput {
  /** What to do with a failure of this category. Required. */
  readonly decision: RetryDecision
  /** Retries allowed within one run, an integer ≥ 0. Default: 3. */
  readonly maxRetries?: number | undefined
  /**
   * The first delay: finite, and below 2³¹ − 1 ms (about 24.8 days, the longest timer Node runs).
   * Default: 1 second.
   */
  readonly baseDelay?: Duration.DurationInput | undefined
  /**
   * The longest wait, and the largest server hint honoured. Default: unbounded, which means the
   * wait ceiling (`RetryConfig.Settings.maxWait`, 24 hours by default) that bounds every policy.
   */
  readonly maxDelay?: Duration.DurationInput | undefined
  /** Growth of the delay per retry, a finite number ≥ 1. Default: 2. */
  readonly backoffFactor?: number | undefined
  /** Randomisation of each wait. Default: `false`. */
  readonly jitter?: Jitter | undefined
  /** How a server hint sets the wait. Default: `"at least"`. */
  readonly hint?: HintRule | undefined
}

/**
 * Invalid retry settings: a policy field, an option or a configuration value. `field` names what
 * was wrong as the user wrote it, and `value` is what was given. Every API reports bad input with
 * it, one way per kind of API: layers, and constructors or decoders returning an `Effect`, fail with
 * it; combinators and operations (`withIntelligentRetry`, `withCircuitBreaker`, the HTTP client
 * transform's requests, `RetryMonitor.check`) die with it; functions returning a plain value
 * (`make`, `scale`, `Strategies.toSchedule`) throw it. A function returning an `Effect`, a
 * `Layer` or a client never throws.
 *
 * @since 0.1.0
 * @category errors
 */
export const InvalidPolicyError: typeof validate.InvalidPolicyError = validate.InvalidPolicyError

/**
 * @since 0.1.0
 * @category errors
 */
export type InvalidPolicyError = validate.InvalidPolicyError

/**
 * An {@link InvalidPolicyError} for `field`, whose message reads `Invalid <field>: <reason>`. For
 * packages that validate their own options the same way. A string `value` is kept scrubbed of
 * secrets (`"password=hunter2"` becomes `"password=***"`), as {@link describe} shows values.
 *
 * @since 0.1.0
 * @category errors
 */
export const invalid: (field: string, value: unknown, reason: string) => InvalidPolicyError = validate.invalid

/**
 * The first key of `options` that is not in `allowed`, as an {@link InvalidPolicyError} naming
 * `<prefix>.<key>` (default prefix: `options`) and the value ("is not an option of `what`");
 * `undefined` when all are known.
 * For packages that validate their own options the same way.
 *
 * @since 0.1.0
 * @category errors
 */
export const unknownOption: (
  options: object,
  allowed: ReadonlySet<string>,
  what: string,
  prefix?: string
) => InvalidPolicyError | undefined = validate.unknownOption

/**
 * A short, safe rendering of any value for error messages: strings quoted, secrets in them masked
 * (URL credentials, `password=…`, tokens: see the statistics' scrubbing), long values cut, and
 * values that cannot be rendered (cycles, throwing getters) named by their type. Never throws.
 *
 * @since 0.1.0
 * @category errors
 */
export const describe: (value: unknown) => string = internal.show

/**
 * Validates a `Duration.DurationInput` that must not be negative or NaN: a number of
 * milliseconds, a bigint of nanoseconds, a string such as `"5 seconds"`, a `[seconds, nanos]` pair
 * or a `Duration`. (`Duration.decode` reads `-1` as zero; here it is an error naming `field`.)
 * With `bounds`, zero (`zero: false`) or an infinite duration (`infinite: false`) is an error
 * too; the message states the rule: `Invalid timeout: must be a positive, finite duration, got 0`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodeDuration: (
  field: string,
  value: unknown,
  bounds?: {
    /** Whether zero is allowed. Default: `true`. */
    readonly zero?: boolean | undefined
    /** Whether an infinite duration is allowed. Default: `true`. */
    readonly infinite?: boolean | undefined
  }
) => Either.Either<Duration.Duration, InvalidPolicyError> = validate.decodeDuration

/**
 * Validates a policy input, whatever it is (arbitrary JSON included). Never throws.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodeUnknown: (input: unknown, field?: string) => Either.Either<RetryPolicy, InvalidPolicyError> =
  retryPolicy.decodeUnknown

/**
 * Validates a policy input, failing with an {@link InvalidPolicyError} that names the field and
 * the value.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decode = (input: RetryPolicyInput): Effect.Effect<RetryPolicy, InvalidPolicyError> => decodeUnknown(input)

/**
 * Builds a policy, throwing an {@link InvalidPolicyError} on invalid input. For constants and
 * presets; use {@link decode} for input from users.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@intelligent-retry/core"
 *
 * const policy = RetryPolicy.make({
 *   decision: "retry_with_backoff",
 *   maxRetries: 3,
 *   baseDelay: "1 minute",
 *   maxDelay: "5 minutes",
 *   backoffFactor: 2,
 *   jitter: true
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (input: RetryPolicyInput) => RetryPolicy = retryPolicy.make

/**
 * The waits of retries 0, 1, …, `maxRetries − 1`, in milliseconds, before jitter and hints, each
 * at most the default wait ceiling (24 hours, see `RetryConfig.Settings.maxWait`). Handy to print
 * a policy, and to check one in a test.
 *
 * @example
 * ```ts
 * import { RetryPolicy } from "@intelligent-retry/core"
 *
 * RetryPolicy.nominalWaits(RetryPolicy.make({ decision: "retry_immediately", maxRetries: 4, baseDelay: 100 }))
 * // [0, 100, 200, 400]
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const nominalWaits = (policy: RetryPolicy): ReadonlyArray<number> => {
  if (policy.decision === "no_retry") return []
  const bounded = internal.bounded(policy, internal.DEFAULT_MAX_WAIT)
  return Array.from({ length: policy.maxRetries }, (_, n) => internal.nominalWait(bounded, n))
}

/**
 * Compiles one policy to a `Schedule` over errors, for plain `Effect.retry`. Every error counts
 * against this one policy; server hints carried by the errors are honoured (a hint above
 * `maxDelay` ends the schedule). The output is the wait before the next attempt.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryPolicy } from "@intelligent-retry/core"
 *
 * const policy = RetryPolicy.make({ decision: "retry_with_backoff", maxRetries: 3, baseDelay: "100 millis" })
 * const program = Effect.fail("boom").pipe(Effect.retry(RetryPolicy.toSchedule(policy)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toSchedule = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration, unknown> =>
  plan.policySchedule(policy)

/**
 * The same policy with its delays (`baseDelay` and `maxDelay`) multiplied by `factor`: with
 * `factor` 1/60, a minute of the policy lasts a second. For staging and demos that must run the
 * real policies faster. Server hints are not scaled: the server's clock is real. Throws an
 * `InvalidPolicyError` unless `factor` is a finite number > 0.
 *
 * @example
 * ```ts
 * import { RetryPolicy, Strategies } from "@intelligent-retry/core"
 *
 * // 5 minutes, 10 minutes, 20 minutes become 5 s, 10 s, 20 s
 * const fast = RetryPolicy.scale(Strategies.tracking.api_rate_limit, 1 / 60)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const scale: {
  (factor: number): (policy: RetryPolicy) => RetryPolicy
  (policy: RetryPolicy, factor: number): RetryPolicy
} = retryPolicy.scale
