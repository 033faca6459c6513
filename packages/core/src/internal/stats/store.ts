/**
 * The memory store behind `RetryStats`.
 *
 * **Details**
 *
 * Records never touch the published state. They write into a buffer: the bucket of the current
 * time (a mutable hash table), and a ring of pending samples. The published state is an immutable
 * {@link SnapshotImpl} in a `Ref`; a fold drains the buffer into a new snapshot and sets the
 * `Ref` once. Folds happen when a record starts a new bucket (at most once per bucket width),
 * before every read, on `flush` and on the delivery fiber's tick. So recording costs what it cost
 * before (one hash-table add), and every read answers from one consistent snapshot.
 *
 * First-try successes, the one record of every call, cost less still: the combinator resolves a
 * counter per task once ({@link MemoryStore.unsafeSuccessCounter}) and each success adds one to a
 * cell, with no clock read and no bucket lookup. A fold moves the cells into a bucket first, so
 * every read counts them exactly; in time they land in the bucket a fold closes (a record that
 * opens the next bucket, the delivery fiber's tick at the boundary), otherwise in the bucket of
 * the fold's time.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { identity } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type { ErrorCategory } from "../../ErrorCategory.js"
import type { RetryOutcome } from "../../RetryOutcome.js"
import type {
  DeliveryStatus,
  ErrorAnalysis,
  ErrorSample,
  ErrorStatistics,
  RetryStatsService,
  Snapshot,
  StoreOptions,
  TypeId as TypeId_,
  WindowErrorCounts
} from "../../RetryStats.js"
import * as metrics from "../metrics.js"
import { Bucket } from "./bucket.js"
import * as layout from "./layout.js"
import { scrubTaskName } from "./names.js"
import { olderThanMillis, type ResolvedOptions, resolveOptions, windowMillis } from "./options.js"
import type { Outbox } from "./outbox.js"
import { SampleRing } from "./samples.js"
import * as snapshot from "./snapshot.js"

// module-local copies: the hot path reads them on every record, and a bundler or loader that turns
// imports into property reads (CommonJS interop, live-binding getters) would add a call to each
const {
  C,
  categoryIndex,
  COLUMNS,
  F_FAILURES,
  F_OUTCOMES,
  F_RECOVERED_ONE,
  F_RETRIES,
  F_WAIT,
  NONE,
  O_RECOVERED,
  O_SUCCEEDED,
  outcomeIndex,
  STRIDE
} = layout
const { SLOT_ATTEMPTS, SLOT_OUTCOMES, SLOT_RETRIES, SLOT_WAITS } = metrics

/** @internal */
export const TypeId: TypeId_ = Symbol.for("@intelligent-retry/core/RetryStats") as TypeId_

/** @internal */
export const OVERFLOW_TASK = metrics.OVERFLOW_LABEL

const zeroStatus: DeliveryStatus = Object.freeze({
  pendingAggregates: 0,
  pendingSamples: 0,
  droppedAggregates: 0,
  droppedSamples: 0,
  writtenAggregates: 0,
  writtenSamples: 0,
  failedWrites: 0
})

/** Sleeps until the end of the bucket holding now (by `Clock`). */
const sleepToBoundary = (width: number): Effect.Effect<void> =>
  Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    const next = (Math.floor(now / width) + 1) * width
    return Effect.sleep(Duration.millis(Math.max(1, next - now)))
  })

/** First-try successes of one task (by its raw name) counted since the last fold. */
class SuccessCell {
  count = 0
  /** The metric update of the task's `succeeded_first_try` series; refreshed at each fold. */
  update: metrics.Update | undefined = undefined
  constructor(readonly task: string) {}
}

const lastOf = <A>(all: ReadonlyArray<A>, limit: number | undefined): ReadonlyArray<A> =>
  limit === undefined ? all : all.slice(Math.max(0, all.length - limit))

/**
 * The in-memory store.
 *
 * @internal
 */
export class MemoryStore implements RetryStatsService {
  readonly [TypeId]: TypeId_ = TypeId
  readonly enabled = true

  private readonly width: number
  // --- names: every raw name seen (and every stored name) → id; stored names are scrubbed
  private readonly ids = new Map<string, number>()
  private readonly byName = new Map<string, number>()
  private readonly names: Array<string | undefined> = []
  private readonly aliases: Array<Array<string> | undefined> = []
  private readonly freeIds: Array<number> = []
  private readonly maxAliases: number
  private live = 0
  private overflowId = -1
  private namesDirty = false
  /** Set when a name is first folded into the overflow task; reset once the warning is logged. */
  private overflowUnwarned = false
  private overflowWarned = false

  // --- the buffer: buckets recorded into since the last fold, and pending samples
  private readonly pending = new Map<number, Bucket>()
  private current: Bucket | undefined = undefined
  private latestIndex = -Infinity
  private readonly ring: SampleRing
  private lastSweep = -Infinity
  private version = 0
  private dropped = 0

  /** The published state. Never exposed: reads go through {@link snapshot}. */
  private readonly ref: Ref.Ref<snapshot.SnapshotImpl>

  /** Set by a store with a sink: what is folded but not handed over yet. */
  outbox: Outbox | undefined = undefined
  /** Set by a store with a sink: hands the outbox to the sink once. */
  deliver: Effect.Effect<void> | undefined = undefined

  private readonly metricCache: metrics.MetricCache | undefined
  private readonly metricRows: Array<metrics.MetricRow | undefined> = []
  private readonly successUpdates: Array<metrics.Update | undefined> = []
  /** Success cells by raw task name (at most `maxAliases`), and those counted into since the last fold. */
  private readonly cells = new Map<string, SuccessCell>()
  private dirtyCells: Array<SuccessCell> = []

  constructor(readonly options: ResolvedOptions) {
    this.width = options.bucketWidthMillis
    this.maxAliases = 4 * options.maxTasks + 64
    this.ring = new SampleRing(options.sampleSize)
    this.ref = Ref.unsafeMake(snapshot.empty(0, this.width))
    this.metricCache = options.metrics ? new metrics.MetricCache(options.maxMetricTasks) : undefined
  }

  // --- recording --------------------------------------------------------------

  unsafeRecordFailure(task: string, category: ErrorCategory, error: unknown, attempt: number, now: number): void {
    try {
      const c = categoryIndex(category)
      if (c < 0) return
      const b = this.bucketFor(now)
      if (b === undefined) return
      const id = this.taskId(task)
      if (this.ring.capacity > 0) this.ring.push(now, this.names[id] ?? OVERFLOW_TASK, c, error, attempt)
      b.add(id * STRIDE + F_FAILURES + c, 1)
      b.failures[c]++
      if (now < b.minTime) b.minTime = now
      if (this.metricCache !== undefined) {
        this.metricRow(id).update(SLOT_ATTEMPTS + c, 1)
      }
    } catch {
      // recording is best-effort: a statistic is never worth a failure of the caller
    }
  }

  unsafeRecordRetry(task: string, category: ErrorCategory, waitMillis: number, now: number): void {
    try {
      const c = categoryIndex(category)
      if (c < 0) return
      const b = this.bucketFor(now)
      if (b === undefined) return
      const id = this.taskId(task)
      // a wait that is not a finite non-negative number is counted as 0
      const wait = typeof waitMillis === "number" && waitMillis > 0 && waitMillis < Infinity ? waitMillis : 0
      b.add(id * STRIDE + F_RETRIES + c, 1)
      if (wait > 0) b.add(id * STRIDE + F_WAIT + c, wait)
      if (now < b.minTime) b.minTime = now
      if (this.metricCache !== undefined) {
        const row = this.metricRow(id)
        row.update(SLOT_RETRIES + c, 1)
        row.update(SLOT_WAITS + c, wait)
      }
    } catch {
      // recording is best-effort: a statistic is never worth a failure of the caller
    }
  }

  unsafeRecordOutcome(
    task: string,
    outcome: RetryOutcome,
    category: ErrorCategory | undefined,
    retries: number,
    now: number
  ): void {
    try {
      const o = outcomeIndex(outcome)
      if (o < 0) return
      const b = this.bucketFor(now)
      if (b === undefined) return
      const id = this.taskId(task)
      let c = category === undefined ? NONE : categoryIndex(category)
      if (c < 0) c = NONE
      b.add(id * STRIDE + F_OUTCOMES + o * COLUMNS + c, 1)
      if (o === O_RECOVERED && retries === 1 && c !== NONE) b.add(id * STRIDE + F_RECOVERED_ONE + c, 1)
      if (now < b.minTime) b.minTime = now
      if (this.metricCache !== undefined) {
        if (o === O_SUCCEEDED && c === NONE) {
          // the happy path of every call: one stored function, no row lookup
          const f = this.successUpdates[id]
          if (f !== undefined) f(1)
          else this.successUpdater(id)(1)
        } else {
          this.metricRow(id).update(SLOT_OUTCOMES + o * COLUMNS + c, 1)
        }
      }
    } catch {
      // recording is best-effort: a statistic is never worth a failure of the caller
    }
  }

  /**
   * The counter of `task`'s first-try successes: one addition (and the metric's) per success, no
   * clock. The counts are moved into a bucket by the next fold ({@link drainSuccesses}).
   */
  unsafeSuccessCounter(task: string): (() => void) | undefined {
    try {
      let cell = this.cells.get(task)
      if (cell === undefined) {
        if (typeof task !== "string" || this.cells.size >= this.maxAliases) return undefined
        cell = new SuccessCell(task)
        if (this.metricCache !== undefined) cell.update = this.successUpdate(this.taskId(task))
        this.cells.set(task, cell)
      }
      const c = cell
      return () => {
        if (c.count++ === 0) this.dirtyCells.push(c)
        if (c.update !== undefined) c.update(1)
      }
    } catch {
      return undefined
    }
  }

  /**
   * Moves the first-try successes counted since the last fold into a bucket: the bucket this fold
   * closes if it is the one right after the latest (a record opening the next bucket, the delivery
   * tick at the boundary), otherwise the bucket of `now`.
   */
  private drainSuccesses(now: number): void {
    const cells = this.dirtyCells
    if (cells.length === 0) return
    let index = Math.floor(now / this.width)
    if (!Number.isFinite(index)) return
    if (index === this.latestIndex + 1) index = this.latestIndex
    this.dirtyCells = []
    let b = this.pending.get(index)
    if (b === undefined) {
      const start = index * this.width
      b = new Bucket(index, this.width, Math.max(start, Math.min(now, start + this.width - 1)))
      this.pending.set(index, b)
    }
    for (const cell of cells) {
      const n = cell.count
      cell.count = 0
      if (n === 0) continue
      const id = this.taskId(cell.task)
      b.add(id * STRIDE + F_OUTCOMES + O_SUCCEEDED * COLUMNS + NONE, n)
      if (this.metricCache !== undefined) cell.update = this.successUpdate(id)
    }
  }

  private successUpdate(id: number): metrics.Update {
    return this.successUpdates[id] ?? this.successUpdater(id)
  }

  private successUpdater(id: number): metrics.Update {
    const f = this.metricRow(id).updater(SLOT_OUTCOMES + O_SUCCEEDED * COLUMNS + NONE)
    this.successUpdates[id] = f
    return f
  }

  private metricRow(id: number): metrics.MetricRow {
    const row = this.metricRows[id]
    if (row !== undefined) return row
    const created = this.metricCache!.row(this.names[id] ?? OVERFLOW_TASK)
    this.metricRows[id] = created
    return created
  }

  private bucketFor(now: number): Bucket | undefined {
    const b = this.current
    // `typeof` first: comparing a hostile object would run its `valueOf`
    if (typeof now === "number" && b !== undefined && now >= b.start && now < b.end) return b
    return this.bucketSlow(now)
  }

  private bucketSlow(now: number): Bucket | undefined {
    if (typeof now !== "number" || !Number.isFinite(now)) return undefined
    const index = Math.floor(now / this.width)
    if (index > this.latestIndex) {
      // a new bucket: the previous one is closed, publish it and apply retention (at most once
      // per bucket width)
      this.drainSuccesses(now)
      const sweep = this.options.retentionMillis < Infinity && now - this.lastSweep >= this.width
      if (this.pending.size > 0 || sweep) Effect.runSync(this.fold(now, undefined, sweep))
      this.latestIndex = index
    }
    let b = this.pending.get(index)
    if (b === undefined) {
      b = new Bucket(index, this.width, now)
      this.pending.set(index, b)
    }
    // a late record (an older bucket) does not move the fast path
    if (index === this.latestIndex) this.current = b
    return b
  }

  // --- names ------------------------------------------------------------------

  private taskId(task: string): number {
    const id = this.ids.get(task)
    return id !== undefined ? id : this.intern(task)
  }

  /** The first time a raw name is seen: scrub it once, and remember the raw name as an alias. */
  private intern(task: string): number {
    const name = scrubTaskName(task)
    let id = this.byName.get(name)
    if (id === undefined) {
      if (this.live >= this.options.maxTasks) {
        if (this.overflowId < 0 || this.names[this.overflowId] === undefined) {
          this.overflowId = this.allocate(OVERFLOW_TASK)
        }
        if (!this.overflowWarned) this.overflowUnwarned = true
        // not remembered: once cleanup frees a name, this one may get its own id
        return this.overflowId
      }
      this.live++
      id = this.allocate(name)
    }
    if (typeof task === "string" && task !== name && this.ids.size < this.maxAliases) {
      this.ids.set(task, id)
      this.aliases[id]!.push(task)
    }
    return id
  }

  private allocate(name: string): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.names.length
    this.names[id] = name
    this.aliases[id] = []
    this.metricRows[id] = undefined
    this.successUpdates[id] = undefined
    this.ids.set(name, id)
    this.byName.set(name, id)
    this.namesDirty = true
    return id
  }

  private release(id: number): void {
    const name = this.names[id]
    if (name === undefined || id === this.overflowId) return
    this.ids.delete(name)
    this.byName.delete(name)
    for (const alias of this.aliases[id] ?? []) this.ids.delete(alias)
    this.aliases[id] = undefined
    this.names[id] = undefined
    this.metricRows[id] = undefined
    this.successUpdates[id] = undefined
    this.freeIds.push(id)
    this.live--
    this.namesDirty = true
  }

  // --- folding ----------------------------------------------------------------

  /**
   * Drains the buffer into a new snapshot read at `now`, applies retention when `sweep` (a record
   * started a new bucket) and, with a `cutoff`,
   * drops what ends at or before it (the failed attempts dropped are in `this.dropped`).
   */
  private next(
    prev: snapshot.SnapshotImpl,
    now: number,
    cutoff: number | undefined,
    sweep: boolean
  ): snapshot.SnapshotImpl {
    this.drainSuccesses(now)
    const index = Math.floor(now / this.width)
    if (Number.isFinite(index) && index > this.latestIndex) this.latestIndex = index
    if (this.pending.size === 0 && this.ring.count === 0 && !this.namesDirty && cutoff === undefined && !sweep) {
      return prev.at(now, ++this.version)
    }
    // one copy of the totals per fold (a few hundred kilobytes for 1,000 tasks): one allocation,
    // where a copy per touched row would give the collector thousands of buffers per minute
    let size = Math.max(prev.totals.length, STRIDE * 64)
    while (size < this.names.length * STRIDE) size *= 2
    let totals: Float64Array
    if (size === prev.totals.length) totals = prev.totals.slice()
    else {
      totals = new Float64Array(size)
      totals.set(prev.totals)
    }
    // a persistent map: a fold adds or replaces one bucket without copying the others
    let buckets = prev.buckets
    let firstEnd = prev.firstEnd
    let earliest = prev.earliest
    for (const [i, delta] of this.pending) {
      delta.forEach((key, value) => {
        totals[key] += value
      })
      const held = HashMap.get(buckets, i)
      buckets = HashMap.set(buckets, i, Option.isNone(held) ? delta.compact() : Bucket.merge(held.value, delta))
      if (delta.end < firstEnd) firstEnd = delta.end
      if (delta.minTime < earliest) earliest = delta.minTime
      this.outbox?.addBucket(delta, this.names, OVERFLOW_TASK)
    }
    this.pending.clear()
    this.current = undefined
    let samples = prev.samples
    if (this.ring.count > 0) {
      const drained = this.ring.drain()
      this.outbox?.addSamples(drained)
      samples = samples.concat(drained)
      if (samples.length > this.options.sampleSize) samples = samples.slice(samples.length - this.options.sampleSize)
    }
    this.dropped = 0
    let limit = -Infinity
    if (sweep) {
      this.lastSweep = now
      limit = now - this.options.retentionMillis
    }
    if (cutoff !== undefined && cutoff > limit) limit = cutoff
    // late records: samples are in record order, not in time order
    if (limit > -Infinity && samples.some((s) => s.time < limit)) samples = samples.filter((s) => s.time >= limit)
    // nothing to drop unless the oldest bucket held ends at or before the limit
    if (limit >= firstEnd) {
      const touched = new Set<number>()
      for (const [i, b] of buckets) {
        if (b.end > limit) continue
        b.forEach((key, value) => {
          const id = Math.floor(key / STRIDE)
          const field = key - id * STRIDE
          if (field < F_FAILURES + C) this.dropped += value
          const left = totals[key] - value
          // waits may be fractional: do not leave rounding residue that would keep a task alive
          totals[key] = left < 1e-6 ? 0 : left
          touched.add(id)
        })
        buckets = HashMap.remove(buckets, i)
      }
      earliest = Infinity
      firstEnd = Infinity
      for (const b of HashMap.values(buckets)) {
        if (b.minTime < earliest) earliest = b.minTime
        if (b.end < firstEnd) firstEnd = b.end
      }
      for (const id of touched) {
        const base = id * STRIDE
        let empty = true
        for (let f = 0; f < STRIDE; f++) {
          if (totals[base + f] !== 0) {
            empty = false
            break
          }
        }
        if (empty && id !== this.overflowId) {
          this.release(id)
        }
      }
    }
    const names = this.namesDirty ? this.names.slice() : prev.names
    this.namesDirty = false
    const taskCount = this.live + (this.overflowId >= 0 && this.names[this.overflowId] !== undefined ? 1 : 0)
    return new snapshot.SnapshotImpl(
      ++this.version,
      now,
      this.width,
      names,
      totals,
      buckets,
      firstEnd,
      samples,
      earliest,
      taskCount
    )
  }

  /** Folds the buffer at `now` and publishes the result. */
  fold(now: number, cutoff?: number, sweep = false): Effect.Effect<snapshot.SnapshotImpl> {
    return Ref.updateAndGet(this.ref, (prev) => this.next(prev, now, cutoff, sweep))
  }

  /** Folds at the time of `Clock`, logging the overflow warning once. */
  private readonly folded: Effect.Effect<snapshot.SnapshotImpl> = Effect.clockWith((clock) =>
    Effect.flatMap(this.fold(clock.unsafeCurrentTimeMillis()), (s) => this.warnOverflow(s))
  )

  private warnOverflow<A>(a: A): Effect.Effect<A> {
    if (!this.overflowUnwarned) return Effect.succeed(a)
    this.overflowUnwarned = false
    this.overflowWarned = true
    return Effect.as(
      Effect.logWarning(
        `RetryStats: more than ${this.options.maxTasks} distinct task names (maxTasks); later names are counted ` +
          `under "${OVERFLOW_TASK}" until cleanup frees a name. Logged once.`
      ),
      a
    )
  }

  // --- effects ----------------------------------------------------------------

  get snapshot(): Effect.Effect<Snapshot> {
    return this.folded
  }

  get changes(): Stream.Stream<Snapshot> {
    return Stream.repeatEffect(Effect.zipRight(sleepToBoundary(this.width), this.folded))
  }

  get flush(): Effect.Effect<void> {
    return Effect.flatMap(this.folded, () => {
      this.outbox?.handOff(Infinity)
      return this.deliver ?? Effect.void
    })
  }

  get deliveryStatus(): Effect.Effect<DeliveryStatus> {
    return Effect.sync(() => this.outbox?.status() ?? zeroStatus)
  }

  analyzeTaskErrors(taskName?: string): Effect.Effect<ErrorAnalysis> {
    return Effect.map(this.folded, (s) => snapshot.analyze(s, taskName))
  }

  get getErrorStatistics(): Effect.Effect<ErrorStatistics> {
    return Effect.map(this.folded, snapshot.statistics)
  }

  cleanupOldErrors(olderThan: Duration.DurationInput = "24 hours"): Effect.Effect<number> {
    const millis = olderThanMillis(olderThan)
    if (Either.isLeft(millis)) return Effect.die(millis.left)
    return Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      return Ref.modify(this.ref, (prev) => {
        const next = this.next(prev, now, now - millis.right, false)
        return [this.dropped, next] as const
      })
    })
  }

  errorsInWindow(window: Duration.DurationInput, taskName?: string): Effect.Effect<WindowErrorCounts> {
    const millis = windowMillis(window)
    if (Either.isLeft(millis)) return Effect.die(millis.left)
    return Effect.map(this.folded, (s) => snapshot.windowCounts(s, millis.right, taskName))
  }

  recentSamples(limit?: number): Effect.Effect<ReadonlyArray<ErrorSample>> {
    return Effect.map(this.folded, (s) => lastOf(s.samples, limit))
  }
}

/**
 * Creates a memory store with validated options; throws the `InvalidPolicyError` of an invalid
 * one (the `unsafe` constructor: the Effect ones fail with it).
 *
 * @internal
 */
export const unsafeMake = (options?: StoreOptions): MemoryStore =>
  new MemoryStore(Either.getOrThrowWith(resolveOptions(options), identity))

/**
 * The process-wide store, created on first use and shared even if this module is loaded twice.
 *
 * @internal
 */
export const globalStore = (): MemoryStore =>
  globalValue(Symbol.for("@intelligent-retry/core/RetryStats/globalStore"), () => unsafeMake())

/**
 * The tag behind `RetryStats.RetryStats`, kept in the declarations: the public one refers to it.
 * Its default is the process-wide store.
 *
 * @since 0.1.0
 */
export class RetryStatsTag extends Context.Reference<RetryStatsTag>()("@intelligent-retry/core/RetryStats", {
  defaultValue: (): RetryStatsService => globalStore()
}) {}

// -----------------------------------------------------------------------------
// no-op store
// -----------------------------------------------------------------------------

const emptyAt: Effect.Effect<snapshot.SnapshotImpl> = Effect.clockWith((clock) =>
  Effect.sync(() => snapshot.empty(clock.unsafeCurrentTimeMillis(), 60_000))
)

/**
 * A store that records nothing and reads as empty.
 *
 * @internal
 */
export const noop: RetryStatsService = {
  [TypeId]: TypeId,
  enabled: false,
  unsafeRecordFailure: () => {},
  unsafeRecordRetry: () => {},
  unsafeRecordOutcome: () => {},
  snapshot: emptyAt,
  changes: Stream.repeatEffect(Effect.zipRight(sleepToBoundary(60_000), emptyAt)),
  flush: Effect.void,
  deliveryStatus: Effect.succeed(zeroStatus),
  analyzeTaskErrors: (taskName) => Effect.map(emptyAt, (s) => snapshot.analyze(s, taskName)),
  getErrorStatistics: Effect.map(emptyAt, snapshot.statistics),
  cleanupOldErrors: (olderThan = "24 hours") => {
    const millis = olderThanMillis(olderThan)
    return Either.isLeft(millis) ? Effect.die(millis.left) : Effect.succeed(0)
  },
  errorsInWindow: (window, taskName) => {
    const checked = windowMillis(window)
    if (Either.isLeft(checked)) return Effect.die(checked.left)
    const millis = checked.right
    return Effect.map(
      emptyAt,
      (s) => ({ ...snapshot.windowCounts(s, millis, taskName), window: { from: s.time - millis, to: s.time } })
    )
  },
  recentSamples: () => Effect.succeed([])
}
