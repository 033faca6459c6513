/**
 * The constructors and readers of `RetryStats.ts`: stores made with validated options (a bad one
 * fails the effect), the reads of the current store (a bad argument dies), and the pure reads of a
 * snapshot and of counters held elsewhere.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual, identity } from "effect/Function"
import type * as Scope from "effect/Scope"
import type {
  CategoryCounters,
  DeliveryOptions,
  ErrorAnalysis,
  ErrorSample,
  ErrorStatistics,
  RetryStatsService,
  RetryStatsSink,
  Snapshot,
  StoreOptions,
  TimeWindow,
  WindowErrorCounts
} from "../../RetryStats.js"
import type { InvalidPolicyError } from "../validate.js"
import * as analysis from "./analysis.js"
import * as delivery from "./delivery.js"
import { emptyRow } from "./layout.js"
import * as options_ from "./options.js"
import * as internalSnapshot from "./snapshot.js"
import { SnapshotTypeId } from "./snapshot.js"
import { MemoryStore, RetryStatsTag } from "./store.js"

/** @internal */
export const make = (options?: StoreOptions): Effect.Effect<RetryStatsService, InvalidPolicyError> =>
  Effect.map(options_.resolveOptions(options), (resolved) => new MemoryStore(resolved))

/** @internal */
export const makeWithSink = (
  sink: RetryStatsSink,
  options?: StoreOptions & DeliveryOptions
): Effect.Effect<RetryStatsService, InvalidPolicyError, Scope.Scope> =>
  Effect.flatMap(
    Either.all([
      options_.resolveOptions(storeOptionsOf(options), "RetryStats.makeWithSink", sinkOptionKeys),
      delivery.resolveDelivery(deliveryOptionsOf(options))
    ]),
    ([resolved, deliveryOptions]) => delivery.makeWithSink(resolved, sink, deliveryOptions)
  )

const sinkOptionKeys: ReadonlySet<string> = new Set([...options_.storeOptionKeys, ...delivery.deliveryOptionKeys])

const storeOptionsOf = (o: (StoreOptions & DeliveryOptions) | undefined): StoreOptions | undefined => {
  if (o === undefined || typeof o !== "object" || o === null) return o
  const { batchSize: _b, maxPending: _m, retryBase: _r, retryMax: _x, writeTimeout: _w, ...rest } = o
  return rest
}

const deliveryOptionsOf = (o: (StoreOptions & DeliveryOptions) | undefined): DeliveryOptions | undefined => {
  if (o === undefined || typeof o !== "object" || o === null) return undefined
  const { batchSize, maxPending, retryBase, retryMax, writeTimeout } = o
  return { batchSize, maxPending, retryBase, retryMax, writeTimeout }
}

/** @internal */
export const cleanupOldErrors = (olderThan: Duration.DurationInput = "24 hours"): Effect.Effect<number> => {
  const checked = options_.olderThanMillis(olderThan)
  return Either.isLeft(checked)
    ? Effect.die(checked.left)
    : Effect.flatMap(RetryStatsTag, (stats) => stats.cleanupOldErrors(olderThan))
}

/** @internal */
export const errorsInWindow = (window: Duration.DurationInput, taskName?: string): Effect.Effect<WindowErrorCounts> => {
  const checked = options_.windowMillis(window)
  return Either.isLeft(checked)
    ? Effect.die(checked.left)
    : Effect.flatMap(RetryStatsTag, (stats) => stats.errorsInWindow(window, taskName))
}

const isSnapshot = (u: unknown): u is Snapshot => typeof u === "object" && u !== null && SnapshotTypeId in u

const impl = (s: Snapshot): internalSnapshot.SnapshotImpl => s as internalSnapshot.SnapshotImpl

/** @internal */
export const analyze: {
  (taskName?: string): (self: Snapshot) => ErrorAnalysis
  (self: Snapshot, taskName?: string): ErrorAnalysis
} = dual(
  (args) => isSnapshot(args[0]),
  (self: Snapshot, taskName?: string): ErrorAnalysis => internalSnapshot.analyze(impl(self), taskName)
)

/** @internal */
export const statistics = (self: Snapshot): ErrorStatistics => internalSnapshot.statistics(impl(self))

/** @internal */
export const windowCounts: {
  (window: Duration.DurationInput, taskName?: string): (self: Snapshot) => WindowErrorCounts
  (self: Snapshot, window: Duration.DurationInput, taskName?: string): WindowErrorCounts
} = dual(
  (args) => isSnapshot(args[0]),
  (self: Snapshot, window: Duration.DurationInput, taskName?: string): WindowErrorCounts =>
    internalSnapshot.windowCounts(impl(self), Either.getOrThrowWith(options_.windowMillis(window), identity), taskName)
)

/** @internal */
export const analysisFromCounters = (
  taskName: string | undefined,
  counters: Iterable<CategoryCounters>,
  window: TimeWindow
): ErrorAnalysis => {
  const row = emptyRow()
  for (const c of counters) analysis.addCounters(row, c)
  return analysis.analysisOf(taskName, row, window)
}

/** @internal */
export const statisticsFromCounters = (
  counters: Iterable<CategoryCounters>,
  recentSamples: ReadonlyArray<ErrorSample>,
  window: TimeWindow
): ErrorStatistics => {
  const rows = new Map<string, Float64Array>()
  for (const c of counters) {
    let row = rows.get(c.task)
    if (row === undefined) {
      row = emptyRow()
      rows.set(c.task, row)
    }
    analysis.addCounters(row, c)
  }
  return analysis.statisticsOf(rows, rows.size, recentSamples, window)
}
