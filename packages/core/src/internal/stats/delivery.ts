/**
 * Delivery of closed buckets to a sink, off the hot path: a fiber that wakes at each bucket
 * boundary, folds, and hands the closed per-minute aggregates and the pending samples to the
 * sink; failures are retried with backoff, logged and counted; what does not fit the pending
 * bound is dropped and counted.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import type { DeliveryOptions, RetryStatsSink } from "../../RetryStats.js"
import * as metrics from "../metrics.js"
import { show } from "../policy.js"
import { safeCause } from "../redact.js"
import { durationMillis, fail, integerIn, type InvalidPolicyError } from "../validate.js"
import type { ResolvedOptions } from "./options.js"
import { Outbox } from "./outbox.js"
import { MemoryStore } from "./store.js"

/** @internal */
export interface ResolvedDelivery {
  readonly maxPending: number
  readonly batchSize: number
  readonly retryBaseMillis: number
  readonly retryMaxMillis: number
  readonly writeTimeoutMillis: number
}

/** @internal */
export const defaultDelivery: ResolvedDelivery = Object.freeze({
  maxPending: 100_000,
  batchSize: 1_000,
  retryBaseMillis: 1_000,
  retryMaxMillis: 60_000,
  writeTimeoutMillis: 10_000
})

/** The keys of delivery options. @internal */
export const deliveryOptionKeys: ReadonlySet<string> = new Set([
  "maxPending",
  "batchSize",
  "retryBase",
  "retryMax",
  "writeTimeout"
])

const finite = (field: string, value: unknown) => durationMillis(field, value, { infinite: false, zero: false })

/**
 * Validates delivery options once: the first bad one as an `InvalidPolicyError` naming the field
 * and the value. Keys that are not delivery options are left to the store's validation.
 *
 * @internal
 */
export const resolveDelivery = (
  options: DeliveryOptions | undefined
): Either.Either<ResolvedDelivery, InvalidPolicyError> =>
  Either.gen(function*() {
    if (options === undefined) return defaultDelivery
    if (typeof options !== "object" || options === null) {
      return yield* fail("options", options, `must be an object, got ${show(options)}`)
    }
    const d = defaultDelivery
    const resolved: ResolvedDelivery = {
      maxPending: options.maxPending === undefined
        ? d.maxPending
        : yield* integerIn("maxPending", options.maxPending, 1, 1e7),
      batchSize: options.batchSize === undefined
        ? d.batchSize
        : yield* integerIn("batchSize", options.batchSize, 1, 1e5),
      retryBaseMillis: options.retryBase === undefined
        ? d.retryBaseMillis
        : yield* finite("retryBase", options.retryBase),
      retryMaxMillis: options.retryMax === undefined ? d.retryMaxMillis : yield* finite("retryMax", options.retryMax),
      writeTimeoutMillis: options.writeTimeout === undefined
        ? d.writeTimeoutMillis
        : yield* finite("writeTimeout", options.writeTimeout)
    }
    if (resolved.retryMaxMillis < resolved.retryBaseMillis) {
      return yield* fail(
        "retryMax",
        options.retryMax,
        `must be at least \`retryBase\` (${resolved.retryBaseMillis} ms), got ${show(options.retryMax)}`
      )
    }
    return Object.freeze(resolved)
  })

const ok = Metric.tagged(metrics.sinkWrites, "result", "ok")
const failed = Metric.tagged(metrics.sinkWrites, "result", "failed")
const droppedAggregates = Metric.tagged(metrics.sinkDropped, "kind", "aggregate")
const droppedSamples = Metric.tagged(metrics.sinkDropped, "kind", "sample")

/**
 * A memory store whose closed buckets flow to `sink`, with its delivery fiber in the scope.
 * Closing the scope flushes (bounded by `writeTimeout`).
 *
 * @internal
 */
export const makeWithSink = (
  options: ResolvedOptions,
  sink: RetryStatsSink,
  delivery: ResolvedDelivery
): Effect.Effect<MemoryStore, never, Scope.Scope> =>
  Effect.gen(function*() {
    const store = new MemoryStore(options)
    const outbox = new Outbox(delivery.maxPending)
    store.outbox = outbox
    const lock = yield* Effect.makeSemaphore(1)
    // identifies this store's batches (with a sequence number) for sinks that apply a batch once
    const storeId = (yield* Random.nextInt).toString(36) + (yield* Clock.currentTimeMillis).toString(36)
    let reportedAggregates = 0
    let reportedSamples = 0
    const reportDrops = Effect.suspend(() => {
      const a = outbox.droppedAggregates - reportedAggregates
      const s = outbox.droppedSamples - reportedSamples
      if (a === 0 && s === 0) return Effect.void
      reportedAggregates = outbox.droppedAggregates
      reportedSamples = outbox.droppedSamples
      return Effect.zipRight(
        Effect.all([Metric.incrementBy(droppedAggregates, a), Metric.incrementBy(droppedSamples, s)]),
        Effect.logWarning(
          `RetryStats: the sink is behind by more than ${delivery.maxPending} entries; dropped ${a} aggregate(s) ` +
            `and ${s} sample(s) (in all: ${outbox.droppedAggregates} and ${outbox.droppedSamples}).`
        )
      )
    })

    /** Writes everything pending, batch by batch; `false` at the first failed batch (kept for later). */
    const writeAll: Effect.Effect<boolean> = lock.withPermits(1)(Effect.suspend(() => {
      const step: Effect.Effect<boolean> = Effect.suspend(() => {
        if (outbox.aggregates.length === 0 && outbox.samples.length === 0) return Effect.succeed(true)
        const batch = outbox.take(delivery.batchSize, storeId)
        // disconnected: a write stuck in an uninterruptible region still times out here (it may
        // commit later: the batch keeps its id, so an idempotent sink applies it once)
        return Effect.disconnect(Effect.suspend(() => sink.write(batch))).pipe(
          Effect.timeoutFail({
            duration: Duration.millis(delivery.writeTimeoutMillis),
            onTimeout: () => new Error(`the sink did not answer within ${delivery.writeTimeoutMillis} ms`)
          }),
          Effect.matchCauseEffect({
            onSuccess: () => {
              outbox.commit()
              return Effect.zipRight(Metric.increment(ok), step)
            },
            onFailure: (cause) => {
              outbox.failedWrites++
              return Effect.as(
                Effect.zipRight(
                  Metric.increment(failed),
                  Effect.logWarning(
                    `RetryStats: the sink failed (${safeCause(cause)}); ${outbox.aggregates.length} aggregate(s) ` +
                      `and ${outbox.samples.length} sample(s) kept for a retry`
                  )
                ),
                false
              )
            }
          })
        )
      })
      return Effect.zipLeft(step, reportDrops)
    }))
    // a flush whose write fails wakes the delivery fiber, which then retries with backoff instead
    // of waiting for the next bucket boundary
    const wake = yield* Queue.sliding<void>(1)
    store.deliver = Effect.flatMap(writeAll, (written) => written ? Effect.void : Queue.offer(wake, undefined))

    const width = options.bucketWidthMillis
    const pending = () => outbox.aggregates.length > 0 || outbox.samples.length > 0
    const loop = (backoff: number, failing: boolean): Effect.Effect<never> =>
      Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        const toBoundary = Math.max(1, (Math.floor(now / width) + 1) * width - now)
        const wait = pending() ? Math.min(backoff, toBoundary) : toBoundary
        return Effect.raceFirst(Effect.sleep(Duration.millis(wait)), Queue.take(wake))
      }).pipe(
        Effect.zipRight(Effect.clockWith((clock) => {
          const now = clock.unsafeCurrentTimeMillis()
          return Effect.tap(store.fold(now), () => outbox.handOff(Math.floor(now / width)))
        })),
        Effect.zipRight(writeAll),
        // the first retry waits `retryBase`, then the wait doubles up to `retryMax`
        Effect.flatMap((written) =>
          written
            ? loop(delivery.retryBaseMillis, false)
            : loop(failing ? Math.min(backoff * 2, delivery.retryMaxMillis) : backoff, true)
        )
      )
    yield* Effect.forkScoped(Effect.interruptible(loop(delivery.retryBaseMillis, false)))
    yield* Effect.addFinalizer(() => store.flush)
    return store
  })
