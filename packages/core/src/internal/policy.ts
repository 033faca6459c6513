/**
 * Policy decoding (with Schema) and the delay arithmetic shared by every compiled schedule.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { RetryPolicy as Policy } from "../RetryPolicy.js"
import { redact } from "./redact.js"
import { decisions, RetryDecision } from "./retryDecision.js"
import { get } from "./safe.js"

/**
 * Defaults of the fields a policy input leaves out. None of them limits a field the user set:
 * `maxDelay` is unbounded unless given.
 *
 * @internal
 */
export const fieldDefaults = {
  maxRetries: 3,
  baseDelay: Duration.seconds(1),
  maxDelay: Duration.infinity,
  backoffFactor: 2,
  jitter: false,
  hint: "at least"
} as const

/** @internal */
export const show = (u: unknown): string => {
  try {
    // scrubbed before it is cut, so that a cut never leaves half a secret unmasked
    if (typeof u === "string") return JSON.stringify(cut(redact(u.length > 1024 ? u.slice(0, 1024) : u)))
    if (typeof u === "bigint") return `${u}n`
    if (typeof u === "number" || typeof u === "boolean" || u === undefined || u === null) return String(u)
    if (typeof u === "symbol") return u.toString()
    if (Duration.isDuration(u)) return `Duration(${Duration.format(u)})`
    const json = JSON.stringify(u)
    return json === undefined ? typeof u : cut(redact(json.length > 1024 ? json.slice(0, 1024) : json))
  } catch {
    return typeof u
  }
}

const cut = (s: string): string => s.length > 64 ? `${s.slice(0, 64)}…` : s

/**
 * The value an error carries, scrubbed: a string with a secret in it (`"password=hunter2"`) is
 * masked (`"password=***"`); anything else is itself.
 *
 * @internal
 */
export const scrubbed = (u: unknown): unknown => typeof u === "string" ? redact(u) : u

const DURATION_STRING = /^(-?\d+(?:\.\d+)?)\s+(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$/

/**
 * A `DurationInput` that is not negative and not NaN: a number of milliseconds, a bigint of
 * nanoseconds, a string such as `"5 seconds"`, a `[seconds, nanos]` pair or a `Duration`.
 * `Duration.decode` would turn `-1` into zero; here it is an error.
 *
 * @internal
 */
export const decodeDuration = (u: unknown): Duration.Duration | undefined => {
  if (typeof u === "number") return Number.isNaN(u) || u < 0 ? undefined : Duration.millis(u)
  if (typeof u === "bigint") return u < 0n ? undefined : Duration.nanos(u)
  if (typeof u === "string") {
    const match = DURATION_STRING.exec(u.trim())
    return match === null || Number(match[1]) < 0 ? undefined : Duration.decodeUnknown(u.trim()).pipe(orUndefined)
  }
  if (Array.isArray(u)) {
    return u.length === 2 && u.every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0)
      ? Duration.decodeUnknown(u).pipe(orUndefined)
      : undefined
  }
  return Duration.isDuration(u) ? u : undefined
}

const orUndefined = <A>(o: { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }) =>
  o._tag === "Some" ? o.value : undefined

const NonNegativeDuration = Schema.transformOrFail(Schema.Unknown, Schema.DurationFromSelf, {
  strict: true,
  decode: (u, _, ast) => {
    const duration = decodeDuration(u)
    return duration === undefined
      ? ParseResult.fail(
        new ParseResult.Type(
          ast,
          u,
          `must be a non-negative duration (milliseconds, "5 seconds", or a Duration), got ${show(u)}`
        )
      )
      : ParseResult.succeed(duration)
  },
  encode: ParseResult.succeed
})

/**
 * The bound of every wait, computed or hinted, in milliseconds, exclusive: Node's timers (and so
 * Effect's) take any delay of 2³¹ − 1 ms (about 24.8 days) or more as "fire at once" or "never".
 * The ceiling setting (`RetryConfig.Settings.maxWait`) must stay below it.
 *
 * @internal
 */
export const WAIT_LIMIT = 2_147_483_647

/** The default ceiling of every wait: 24 hours, in milliseconds. @internal */
export const DEFAULT_MAX_WAIT = 24 * 60 * 60 * 1000

const BoundedDuration = Schema.transformOrFail(Schema.Unknown, Schema.DurationFromSelf, {
  strict: true,
  decode: (u, _, ast) => {
    const duration = decodeDuration(u)
    return duration === undefined || !Duration.isFinite(duration) || Duration.toMillis(duration) >= WAIT_LIMIT
      ? ParseResult.fail(
        new ParseResult.Type(
          ast,
          u,
          `must be a non-negative duration, finite and below ${WAIT_LIMIT} ms (about 24.8 days), got ${show(u)}`
        )
      )
      : ParseResult.succeed(duration)
  },
  encode: ParseResult.succeed
})

const described = <A, I>(schema: Schema.Schema<A, I>, expected: string): Schema.Schema<A, I> =>
  schema.annotations({
    message: (issue: ParseResult.ParseIssue) => ({
      message: `must be ${expected}, got ${show(issue.actual)}`,
      override: true
    })
  })

/**
 * The schema of a policy input. Unknown keys are errors: a misspelt `maxRetry` never passes
 * silently.
 *
 * @internal
 */
export const PolicyInputSchema = Schema.Struct({
  decision: described(Schema.Literal(...decisions), `one of ${decisions.map((d) => `"${d}"`).join(", ")}`),
  maxRetries: Schema.optional(
    described(Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(0)), "an integer ≥ 0")
  ),
  // a base delay that is infinite (or beyond any timer) cannot give a finite wait
  baseDelay: Schema.optional(BoundedDuration),
  maxDelay: Schema.optional(NonNegativeDuration),
  backoffFactor: Schema.optional(
    described(Schema.Number.pipe(Schema.finite(), Schema.greaterThanOrEqualTo(1)), "a finite number ≥ 1")
  ),
  jitter: Schema.optional(
    described(
      Schema.Union(Schema.Boolean, Schema.Literal("full", "equal", "decorrelated")),
      `false, true, "full", "equal" or "decorrelated"`
    )
  ),
  hint: Schema.optional(described(Schema.Literal("at least", "exact"), `"at least" or "exact"`))
})

const decodeInput = Schema.decodeUnknownEither(PolicyInputSchema, { errors: "first", onExcessProperty: "error" })

/** @internal */
export interface Invalid {
  readonly field: string
  readonly value: unknown
  readonly reason: string
}

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>((u, key) => get(u, key), input)

/**
 * Total: a value that throws when read (a Proxy, a revoked Proxy) is an invalid policy, not an
 * exception.
 *
 * @internal
 */
export const decodePolicy = (input: unknown): Either.Either<Policy, Invalid> => {
  try {
    return decodeReadable(input)
  } catch {
    return Either.left({ field: "(policy)", value: input, reason: `must be a readable object, got ${show(input)}` })
  }
}

const decodeReadable = (input: unknown): Either.Either<Policy, Invalid> => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return Either.left({ field: "(policy)", value: input, reason: `must be an object, got ${show(input)}` })
  }
  return decodeInput(input).pipe(
    Either.mapLeft((error): Invalid => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue.path.map(String).join(".") || "(policy)"
      const value = valueAt(input, issue.path)
      const reason = issue._tag === "Unexpected" ? `is not a policy field (got ${show(value)})` : issue.message
      return { field, value, reason }
    }),
    Either.map((decoded): Policy => ({
      decision: decoded.decision,
      maxRetries: decoded.maxRetries ?? fieldDefaults.maxRetries,
      baseDelay: decoded.baseDelay ?? fieldDefaults.baseDelay,
      maxDelay: decoded.maxDelay ?? fieldDefaults.maxDelay,
      backoffFactor: decoded.backoffFactor ?? fieldDefaults.backoffFactor,
      jitter: decoded.jitter ?? fieldDefaults.jitter,
      hint: decoded.hint ?? fieldDefaults.hint
    }))
  )
}

/**
 * The policy as runs use it: `maxDelay` lowered to the wait ceiling (`ceiling` milliseconds) and
 * to whole milliseconds, and `baseDelay` to `maxDelay`, so that no computed wait, jittered or not,
 * is infinite, NaN or above the ceiling.
 *
 * @internal
 */
export const bounded = (policy: Policy, ceiling: number): Policy => {
  const max = Duration.toMillis(policy.maxDelay)
  const base = Duration.toMillis(policy.baseDelay)
  const cappedMax = Math.floor(Math.min(max, ceiling))
  if (cappedMax === max && base <= max) return policy
  // A base above the maximum gives the maximum with or without this cap (every formula takes the
  // min with `maxDelay`), and lowering it keeps decorrelated jitter's arithmetic finite for a
  // table installed without validation.
  return {
    ...policy,
    baseDelay: base <= cappedMax ? policy.baseDelay : Duration.millis(cappedMax),
    maxDelay: Duration.millis(cappedMax)
  }
}

/**
 * The wait before retry `n` (0-based, within the policy's category), before jitter and hints,
 * in milliseconds:
 * - `retry_immediately`: 0 for n = 0, then `min(maxDelay, baseDelay × backoffFactor^(n−1))`;
 * - `retry_with_delay`, `retry_with_backoff`: `min(maxDelay, baseDelay × backoffFactor^n)`.
 *
 * @internal
 */
export const nominalWait = (policy: Policy, n: number): number => {
  const exponent = policy.decision === RetryDecision.RETRY_IMMEDIATELY ? n - 1 : n
  if (exponent < 0) return 0
  const base = Duration.toMillis(policy.baseDelay)
  // 0 × Infinity is NaN: a zero base stays zero however large the factor grows.
  if (base === 0) return 0
  // Waits are whole milliseconds: 1000 × 1.2³ is 1727.9999999999998 in floating point, and 1728 is meant.
  // A huge factor overflows to Infinity, which `maxDelay` (bounded by the ceiling in a run) caps.
  return Math.min(Duration.toMillis(policy.maxDelay), Math.round(base * Math.pow(policy.backoffFactor, exponent)))
}

/**
 * Applies jitter to a nominal wait, given a uniform draw `r` in [0, 1) from Effect's `Random`:
 * - `true` / `"full"`: uniform in [0, wait] (AWS "Exponential Backoff And Jitter", full jitter);
 * - `"equal"`: uniform in [wait/2, wait] (equal jitter);
 * - `"decorrelated"`: `min(maxDelay, uniform(baseDelay, 3 × previous))`, the previous wait of
 *   the category starting at `baseDelay` (decorrelated jitter).
 *
 * `retry_immediately`'s first retry stays at 0. The result never exceeds `maxDelay`. Waits are whole
 * milliseconds.
 *
 * @internal
 */
export const jittered = (policy: Policy, n: number, nominal: number, previous: number, r: number): number =>
  // Whole milliseconds, rounded down so that a draw never exceeds its bound.
  Math.floor(draw(policy, n, nominal, previous, r))

const draw = (policy: Policy, n: number, nominal: number, previous: number, r: number): number => {
  switch (policy.jitter) {
    case false:
      return nominal
    case true:
    case "full":
      return nominal * r
    case "equal":
      return nominal / 2 + (nominal / 2) * r
    case "decorrelated": {
      if (policy.decision === RetryDecision.RETRY_IMMEDIATELY && n === 0) return 0
      const base = Duration.toMillis(policy.baseDelay)
      const high = Math.max(base, 3 * previous)
      return Math.min(Duration.toMillis(policy.maxDelay), base + (high - base) * r)
    }
  }
}
