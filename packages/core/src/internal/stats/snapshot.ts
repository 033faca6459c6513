/**
 * The published state of a store: an immutable snapshot of the closed (and folded) buckets, the
 * running totals per task, the task names and the recent samples. Every read answers from one
 * snapshot.
 *
 * @internal
 */
import * as HashMap from "effect/HashMap"
import type {
  ErrorAnalysis,
  ErrorSample,
  ErrorStatistics,
  Snapshot,
  SnapshotTypeId as SnapshotTypeId_,
  TimeWindow,
  WindowErrorCounts
} from "../../RetryStats.js"
import { analysisOf, statisticsOf } from "./analysis.js"
import type { Bucket } from "./bucket.js"
import { C, emptyRow, perCategory, STRIDE, sumRange } from "./layout.js"
import { scrubTaskName } from "./names.js"

/** @internal */
export const SnapshotTypeId: SnapshotTypeId_ = Symbol.for(
  "@intelligent-retry/core/RetryStats/Snapshot"
) as SnapshotTypeId_

/**
 * A snapshot. Its arrays are never written after it is published: a fold builds the next
 * snapshot from copies of what changed (the totals are copied, buckets merged into new ones).
 *
 * @internal
 */
export class SnapshotImpl implements Snapshot {
  readonly [SnapshotTypeId]: SnapshotTypeId_ = SnapshotTypeId
  private byName: Map<string, number> | undefined = undefined

  constructor(
    readonly version: number,
    readonly time: number,
    readonly bucketWidthMillis: number,
    /** Task names by id; `undefined` for a free id. */
    readonly names: ReadonlyArray<string | undefined>,
    /** Running totals by id, one row of STRIDE numbers each (past the end: all zero). */
    readonly totals: Float64Array,
    /** Buckets held, by index; compacted, never written. */
    readonly buckets: HashMap.HashMap<number, Bucket>,
    /** The smallest `end` of the buckets held, `Infinity` when none. */
    readonly firstEnd: number,
    /** Recent samples, oldest first. */
    readonly samples: ReadonlyArray<ErrorSample>,
    /** Earliest record time held, `Infinity` when none. */
    readonly earliest: number,
    /** Distinct task names held (the overflow task included). */
    readonly taskCount: number
  ) {}

  /** The same state, read at a later time. */
  at(time: number, version: number): SnapshotImpl {
    return new SnapshotImpl(
      version,
      time,
      this.bucketWidthMillis,
      this.names,
      this.totals,
      this.buckets,
      this.firstEnd,
      this.samples,
      this.earliest,
      this.taskCount
    )
  }

  get window(): TimeWindow {
    const from = this.earliest === Infinity ? this.time : this.earliest
    return { from, to: Math.max(this.time, from) }
  }

  get taskNames(): ReadonlyArray<string> {
    return this.names.filter((n): n is string => n !== undefined)
  }

  /** The id of a task name as recorded (scrubbed, truncated), if held. */
  lookup(taskName: string): number | undefined {
    if (typeof taskName !== "string") return undefined
    if (this.byName === undefined) {
      const map = new Map<string, number>()
      this.names.forEach((n, id) => {
        if (n !== undefined) map.set(n, id)
      })
      this.byName = map
    }
    return this.byName.get(taskName) ?? this.byName.get(scrubTaskName(taskName))
  }
}

/** @internal */
export const empty = (time: number, bucketWidthMillis: number): SnapshotImpl =>
  new SnapshotImpl(0, time, bucketWidthMillis, [], new Float64Array(0), HashMap.empty(), Infinity, [], Infinity, 0)

/** The row of a task id (a view), or `undefined` past the end. @internal */
export const rowAt = (s: SnapshotImpl, id: number): Float64Array | undefined =>
  (id + 1) * STRIDE <= s.totals.length ? s.totals.subarray(id * STRIDE, (id + 1) * STRIDE) : undefined

const rowOf = (s: SnapshotImpl, taskName: string | undefined): ArrayLike<number> => {
  if (taskName === undefined) {
    const row = emptyRow()
    const totals = s.totals
    for (let id = 0; id < s.names.length && (id + 1) * STRIDE <= totals.length; id++) {
      if (s.names[id] === undefined) continue
      const base = id * STRIDE
      for (let f = 0; f < STRIDE; f++) row[f] += totals[base + f]
    }
    return row
  }
  const id = s.lookup(taskName)
  return (id === undefined ? undefined : rowAt(s, id)) ?? emptyRow()
}

/** @internal */
export const analyze = (s: SnapshotImpl, taskName: string | undefined): ErrorAnalysis =>
  analysisOf(taskName, rowOf(s, taskName), s.window)

/** @internal */
export const statistics = (s: SnapshotImpl): ErrorStatistics =>
  statisticsOf(
    (function*() {
      for (let id = 0; id < s.names.length; id++) {
        const name = s.names[id]
        const row = rowAt(s, id)
        if (name !== undefined && row !== undefined) yield [name, row] as const
      }
    })(),
    s.taskCount,
    s.samples,
    s.window
  )

/**
 * Failed attempts in the bucket holding `s.time` and the buckets before it that `windowMillis`
 * spans. Walks the buckets held, never the window: a window of a million years costs what a
 * window of one minute costs.
 *
 * @internal
 */
export const windowCounts = (
  s: SnapshotImpl,
  windowMillis: number,
  taskName: string | undefined
): WindowErrorCounts => {
  const width = s.bucketWidthMillis
  const index = Math.floor(s.time / width)
  const n = Math.max(1, Math.ceil(windowMillis / width))
  const lowest = index - n + 1
  const counts = new Float64Array(C)
  const id = taskName === undefined ? -1 : s.lookup(taskName)
  if (id !== undefined) {
    for (const b of HashMap.values(s.buckets)) {
      if (b.index < lowest || b.index > index) continue
      if (id < 0) { for (let c = 0; c < C; c++) counts[c] += b.failures[c] }
      else b.addTaskFailures(id, counts)
    }
  }
  return {
    taskName,
    totalErrors: sumRange(counts, 0, C),
    categoryDistribution: perCategory(counts, 0),
    window: { from: lowest * width, to: s.time }
  }
}
