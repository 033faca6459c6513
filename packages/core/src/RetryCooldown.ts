/**
 * Cool-downs shared by every run calling the same dependency. When a run receives a server hint
 * (Retry-After, a rate-limit reset, `RateLimitError.retryAfter`) for its key (its `budgetKey`, by
 * default its task name; `@intelligent-retry/platform` keys by host), other runs for that key
 * that opt in do not send an attempt before the hint expires: they wait for it, or, under
 * `withHandoff`, hand off when the wait reaches its `after`.
 *
 * **Opting in**
 *
 * - `RetryCooldown.layer`: every run under it (in this process);
 * - `RedisRetry.layer` (`@intelligent-retry/redis`): every run under it, across the fleet;
 * - the run option `cooldown: true`: that run, with the default registry (or the layer's);
 * - `@intelligent-retry/platform`'s HTTP transform: every request, keyed by host, unless its
 *   option `cooldown` is `false`.
 *
 * **What is held.** Every attempt of a run that opted in: its first attempt, and a retry whose own
 * wait ends while another run's hint still holds the key (it waits for the rest; a held attempt is
 * not sent, so it costs no retry). A run's own hint never holds it longer than its policy's wait,
 * which is at least the hint: an isolated run waits exactly as its policy says.
 *
 * **The default registry** lives in the process, with one set of holds per `Clock` (each test's
 * `TestClock` gets its own, as the circuit breaker's default store does), at most 10,000 keys each
 * (expired holds are pruned first, then the hold that ends first). A run that does not opt in pays
 * one context lookup on its happy path, and its hints still feed the registry (on its failure
 * path).
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import * as Layer from "effect/Layer"
import * as internal from "./internal/cooldown.js"

/**
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
 * A cool-down registry. Both calls are synchronous and never block: a store shared by processes
 * keeps a local copy up to date in the background.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryCooldownService {
  readonly [TypeId]: TypeId
  /** Every run under this registry opts in (a layer); `false` for the process-wide default. */
  readonly optIn: boolean
  /**
   * The end of `key`'s cool-down, epoch milliseconds, if one is running at `now` (read from `clock`,
   * the run's `Clock`: the default registry keeps one set of holds per clock).
   */
  readonly unsafeUntil: (key: string, now: number, clock: Clock.Clock) => number | undefined
  /** `key` is cooling down until `until` (epoch milliseconds); a later end already held wins. */
  readonly unsafeHold: (key: string, until: number, now: number, clock: Clock.Clock) => void
}

/**
 * The current registry, as a `Context.Reference`. Its default is the in-process registry (one
 * set of holds per `Clock`) that runs use only when they opt in with `cooldown: true`.
 *
 * @since 0.1.0
 * @category tags
 */
export const RetryCooldown: typeof internal.RetryCooldownTag = internal.RetryCooldownTag

/**
 * @since 0.1.0
 * @category tags
 */
export type RetryCooldown = internal.RetryCooldownTag

/**
 * A fresh in-process registry; every run under the layer opts in.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryCooldown, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * // a 429 with Retry-After: 30 seen by one run holds every other run's attempts for 30 s
 * const program = Effect.forEach(Array.from({ length: 100 }), () =>
 *   callCarrier.pipe(withIntelligentRetry({ task: "track" })), { concurrency: 10 }
 * ).pipe(Effect.provide(RetryCooldown.layer))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RetryCooldown> = Layer.sync(RetryCooldown, () => internal.make(true))

/**
 * A fresh in-process registry, for a store of your own or to share between layers. Throws an
 * `InvalidPolicyError` naming the field and the value unless `options` is `{ optIn: boolean }`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: { readonly optIn: boolean }) => RetryCooldownService = internal.makeWith
