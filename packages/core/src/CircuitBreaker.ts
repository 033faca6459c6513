/**
 * A category-aware circuit breaker: it sheds runs against a dependency that is down, so callers
 * fail in microseconds with `CircuitOpenError` instead of waiting for a timeout, and a stalled
 * server is given room to recover.
 *
 * **What counts**
 *
 * Only runs that end in a failure classified (by the classifier in context) as `network_error`,
 * `system_error` or `temporary_error`. Data, permanent and rate-limit failures, successes,
 * defects and interruptions never open a breaker; a success resets the consecutive count. A
 * breaker that counted 429s would shed the requests a rate-limited server asked to have later
 * (docs/benchmarks.md, scenario b).
 *
 * **States** (defaults from the simulator, docs/benchmarks.md)
 *
 * - closed: runs go through. It opens after `consecutiveFailures` (5) consecutive counted
 *   failures, or when counted failures exceed `failureRatio` (50%) of at least `minimumRuns`
 *   (20) runs in a sliding `window` (10 s).
 * - open for `breakDuration` (5 s): runs fail at once with `CircuitOpenError`, without running.
 * - half-open: exactly one run, the probe, goes through; the others fail at once. The probe's
 *   success closes the breaker (so does a data, permanent or rate-limit failure: the dependency
 *   answered); its counted failure reopens it for another break. A probe interrupted frees the
 *   probe slot at once; a probe still running after a break length is presumed lost and the next
 *   run probes instead.
 *
 * State is per key, in the {@link CircuitBreaker} service: by default in this process (no layer
 * needed); `RedisRetry.layer` from `@intelligent-retry/redis` shares it across a fleet. Time is
 * read only through `Clock`.
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import * as internal from "./internal/circuitBreaker.js"
import type { CircuitOpenError } from "./RetryErrors.js"
import type { InvalidPolicyError } from "./RetryPolicy.js"

/**
 * The identifier of breaker stores.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Options of {@link withCircuitBreaker}. Only `key` is required. Every option is validated when
 * the combinator is applied: a bad one makes the run die with an `InvalidPolicyError` naming the
 * field and the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerOptions {
  /** The dependency: runs with the same key share one breaker. A non-empty string of at most 256 characters. */
  readonly key: string
  /** Consecutive counted failures that open the breaker. An integer ≥ 1. Default: 5. */
  readonly consecutiveFailures?: number | undefined
  /**
   * The breaker opens when counted failures exceed this fraction of the runs in the window (once
   * there are `minimumRuns`). A number in (0, 1]. Default: 0.5.
   */
  readonly failureRatio?: number | undefined
  /** Runs the window must hold before `failureRatio` applies. An integer ≥ 1. Default: 20. */
  readonly minimumRuns?: number | undefined
  /** Length of the sliding window (resolution: a hundredth of it). Positive, finite. Default: 10 seconds. */
  readonly window?: Duration.DurationInput | undefined
  /** How long the breaker stays open before one probe. Positive, finite. Default: 5 seconds. */
  readonly breakDuration?: Duration.DurationInput | undefined
  /** The task name under which statistics record shed runs (outcome `circuit_open`). Default: the key. */
  readonly task?: string | undefined
}

/**
 * Options after validation, with defaults applied and durations in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerSettings {
  readonly key: string
  readonly task: string
  readonly consecutiveFailures: number
  readonly failureRatio: number
  readonly minimumRuns: number
  readonly windowMillis: number
  readonly breakMillis: number
}

/**
 * The state of a breaker.
 *
 * @since 0.1.0
 * @category models
 */
export type CircuitState = "closed" | "open" | "half_open"

/**
 * A change of state, named by the state entered: `open` (from closed, or after a failed probe),
 * `half_open` (the probe is let through) or `closed` (the probe succeeded).
 *
 * @since 0.1.0
 * @category models
 */
export type Transition = "open" | "half_open" | "closed"

/**
 * What a run's end means to a breaker: `failure` is a counted failure (network, system or
 * temporary); `neutral` any other failure or a defect.
 *
 * @since 0.1.0
 * @category models
 */
export type RunResult = "success" | "failure" | "neutral" | "interrupted"

/**
 * A store's answer before a run: admitted (perhaps as the probe, `token` naming it; with the
 * transition the admission caused), or rejected with the remaining open time in milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export type Admission =
  | {
    readonly _tag: "Admitted"
    readonly probe: boolean
    readonly token: number
    readonly transition: Transition | undefined
  }
  | { readonly _tag: "Rejected"; readonly retryAfter: number }

/**
 * Where breakers keep their state. A store never fails: a shared store that cannot be reached
 * falls back to local state.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerService {
  /** Marks a breaker store. */
  readonly [TypeId]: TypeId
  /** Before a run: admits it or rejects it. Exactly one run is admitted as the probe per break. */
  readonly acquire: (key: string, settings: CircuitBreakerSettings, clock: Clock.Clock) => Effect.Effect<Admission>
  /** After an admitted run: records its result; answers the transition it caused, if any. */
  readonly release: (
    key: string,
    settings: CircuitBreakerSettings,
    admission: Admission,
    result: RunResult,
    clock: Clock.Clock
  ) => Effect.Effect<Transition | undefined>
  /** The current state of the breaker of `key` (`closed` for a key never seen). */
  readonly state: (key: string, clock: Clock.Clock) => Effect.Effect<CircuitState>
  /**
   * Optional synchronous `acquire`, for stores that answer without I/O (the in-process ones): the
   * combinator then admits a run without an extra effect.
   */
  readonly unsafeAcquire?:
    | ((key: string, settings: CircuitBreakerSettings, clock: Clock.Clock) => Admission)
    | undefined
  /** Optional synchronous `release`, used with `unsafeAcquire` for runs admitted while closed. */
  readonly unsafeRelease?:
    | ((
      key: string,
      settings: CircuitBreakerSettings,
      admission: Admission,
      result: RunResult,
      clock: Clock.Clock
    ) => Transition | undefined)
    | undefined
}

/**
 * The breaker store, as a `Context.Reference`: by default, in this process, with one set of
 * breakers per `Clock` (each test's `TestClock` gets its own). Provide another with
 * {@link layerMemory} (isolated) or `RedisRetry.layer` (shared across a fleet).
 *
 * @since 0.1.0
 * @category tags
 */
export const CircuitBreaker: typeof internal.CircuitBreakerTag = internal.CircuitBreakerTag

/**
 * @since 0.1.0
 * @category tags
 */
export type CircuitBreaker = internal.CircuitBreakerTag

/**
 * Defaults of {@link CircuitBreakerOptions} (durations in milliseconds), and `maxKeys`: breakers
 * an in-process store keeps (past it, the oldest closed one is forgotten).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly consecutiveFailures: number
  readonly failureRatio: number
  readonly minimumRuns: number
  readonly windowMillis: number
  readonly breakMillis: number
  readonly maxKeys: number
} = internal.breakerDefaults

/**
 * Wraps a run in the breaker of `options.key`: while it is open, or while its probe is in flight,
 * the run fails at once with {@link CircuitOpenError} without running.
 *
 * **Details**
 *
 * Put it outside the retry, so that the whole retried run counts once and a shed run costs no
 * retry: `effect.pipe(withIntelligentRetry(…), withCircuitBreaker({ key }))`. Inside the retry, a
 * `CircuitOpenError` is never retried. The happy path costs one read of the key's state.
 *
 * Transitions are counted by the metrics `intelligent_retry_circuit_opens_total`,
 * `…_half_opens_total` and `…_closes_total` (label `key`), and marked by a span event
 * `intelligent-retry.circuit.<state>` on the current span. Shed runs are recorded by statistics
 * with the outcome `circuit_open`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { withCircuitBreaker, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * const program = callCarrier.pipe(
 *   withIntelligentRetry({ task: "track" }),
 *   withCircuitBreaker({ key: "carrier-api" })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCircuitBreaker: {
  (options: CircuitBreakerOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CircuitBreakerOptions): Effect.Effect<A, E | CircuitOpenError, R>
} = internal.withCircuitBreaker

/**
 * The counters of transitions, each tagged with `key` (at most 1,000 distinct keys per process;
 * later ones share the label `<overflow>`).
 *
 * @since 0.1.0
 * @category constants
 */
export const metrics: {
  readonly opens: Metric.Metric.Counter<number>
  readonly halfOpens: Metric.Metric.Counter<number>
  readonly closes: Metric.Metric.Counter<number>
} = { opens: internal.opensCounter, halfOpens: internal.halfOpensCounter, closes: internal.closesCounter }

/**
 * An in-process store of its own, holding at most `maxKeys` breakers (default 10,000). Throws an
 * `InvalidPolicyError` unless `maxKeys` is an integer ≥ 1.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory = (maxKeys?: number): CircuitBreakerService => internal.makeMemory(maxKeys)

/**
 * A layer installing an in-process store of its own: breakers under it share nothing with the
 * default store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<CircuitBreaker> = Layer.sync(CircuitBreaker, () => internal.makeMemory())

/**
 * The state of the breaker of `key` in the current store (`closed` for a key never seen).
 *
 * @since 0.1.0
 * @category accessors
 */
export const state = (key: string): Effect.Effect<CircuitState> => internal.stateOf(key)

/**
 * The validated settings of `options`, or the `InvalidPolicyError` naming the first bad field.
 * Stores use it; so can tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const settings: (
  options: CircuitBreakerOptions
) => Either.Either<CircuitBreakerSettings, InvalidPolicyError> = internal.validate

/**
 * The in-process state machine of one key, for stores that keep part of their state locally
 * (the Redis store counts failures locally and shares only the open state). Throws an
 * `InvalidPolicyError` unless `maxKeys` is an integer ≥ 1 (default 10,000).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCircuits = (maxKeys?: number): Circuits => new internal.Circuits(internal.checkedMaxKeys(maxKeys))

/**
 * Breakers of one in-process store, per key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Circuits {
  /** Forgets the breaker of `key`: it starts closed, with no counts. */
  readonly reset: (key: string) => void
  /** The breaker of `key`, created closed on first use. */
  readonly get: (key: string, settings: CircuitBreakerSettings) => {
    readonly name: CircuitState
    /** Admits a run at `now` (as the store's `acquire` does), moving the breaker if its break ended. */
    readonly acquire: (settings: CircuitBreakerSettings, now: number) => Admission
    /** Counts the result of a run it admitted, at `now`; the transition it caused, if any. */
    readonly release: (
      settings: CircuitBreakerSettings,
      admission: Admission,
      result: RunResult,
      now: number
    ) => Transition | undefined
  }
}
