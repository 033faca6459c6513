/**
 * Effect `Metric`s fed by the memory store, with a bounded cache of pre-tagged instances so that
 * an update costs a few array reads and one addition.
 *
 * @internal
 */
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import { categories, type ErrorCategory } from "./errorCategory.js"
import { outcomes, type RetryOutcome } from "./retryOutcome.js"

/** @internal */
export const PREFIX = "intelligent_retry_"

/**
 * The `category` label of a successful attempt, and of an outcome with no failure.
 *
 * @internal
 */
export const NO_CATEGORY = "none"

/**
 * The one overflow marker of the library: the name shared by everything past its cap (task names
 * past `maxTasks`, `task` and `key` metric labels past theirs, budget keys past `maxKeys`).
 *
 * @internal
 */
export const OVERFLOW_LABEL = "<overflow>"

/** @internal */
export const attemptsKey = MetricKey.counter(`${PREFIX}failed_attempts_total`, {
  description: "Failed attempts seen by withIntelligentRetry, by task and category. Successful attempts are " +
    "the outcomes succeeded_first_try and recovered.",
  incremental: true
})

/** @internal */
export const retriesKey = MetricKey.counter(`${PREFIX}retries_total`, {
  description: "Retries scheduled by withIntelligentRetry, by task and by the category of the failure retried.",
  incremental: true
})

/** @internal */
export const outcomesKey = MetricKey.counter(`${PREFIX}outcomes_total`, {
  description: "Runs of withIntelligentRetry, by task, by the category of their last failure (`none` for " +
    "a first-try success) and by outcome.",
  incremental: true
})

/**
 * Wait boundaries in milliseconds: from an immediate retry (0) to an hour, roughly ×2–×2.5 per
 * step, covering the guide's presets (network 0–10 s, rate limits 60–300 s, backoff up to 600 s).
 *
 * @internal
 */
export const waitBoundaries: MetricBoundaries.MetricBoundaries = MetricBoundaries.fromIterable([
  0,
  10,
  50,
  100,
  250,
  500,
  1_000,
  2_500,
  5_000,
  10_000,
  30_000,
  60_000,
  120_000,
  300_000,
  600_000,
  1_800_000,
  3_600_000
])

/** @internal */
export const waitsKey = MetricKey.histogram(
  `${PREFIX}wait_ms`,
  waitBoundaries,
  "Waits before retries scheduled by withIntelligentRetry, in milliseconds, by task and category."
)

/** @internal */
export const attempts: Metric.Metric.Counter<number> = Metric.fromMetricKey(attemptsKey)
/** @internal */
export const retries: Metric.Metric.Counter<number> = Metric.fromMetricKey(retriesKey)
/** @internal */
export const outcomesCounter: Metric.Metric.Counter<number> = Metric.fromMetricKey(outcomesKey)
/** @internal */
export const waits: Metric.Metric.Histogram<number> = Metric.fromMetricKey(waitsKey)

/**
 * The labels of a series, in the order the store writes them: `task`, `category`, then
 * `outcome`. A metric key's tags are compared in order, so read series with exactly this order.
 *
 * @internal
 */
export const labels = (
  task: string,
  category: ErrorCategory | typeof NO_CATEGORY,
  outcome?: RetryOutcome
): ReadonlyArray<MetricLabel.MetricLabel> =>
  outcome === undefined
    ? [MetricLabel.make("task", task), MetricLabel.make("category", category)]
    : [MetricLabel.make("task", task), MetricLabel.make("category", category), MetricLabel.make("outcome", outcome)]

// -----------------------------------------------------------------------------
// cache of tagged instances
// -----------------------------------------------------------------------------

const C = categories.length
const COLUMNS = C + 1

/** Slot of the failed-attempts counter for category `c`. @internal */
export const SLOT_ATTEMPTS = 0
/** @internal */
export const SLOT_RETRIES = SLOT_ATTEMPTS + C
/** @internal */
export const SLOT_WAITS = SLOT_RETRIES + C
/** Slot of the outcomes counter for outcome `o` and column `c`: `SLOT_OUTCOMES + o * COLUMNS + c`. @internal */
export const SLOT_OUTCOMES = SLOT_WAITS + C
const SLOTS = SLOT_OUTCOMES + outcomes.length * COLUMNS

/**
 * @internal
 *
 * The `update` function of a series' hook in Effect's global registry, resolved once. Calling
 * it directly skips two closures of `Metric.unsafeUpdate` and a property load on one of thousands
 * of metric objects, each with its own hidden class: with 1,000 tasks that chain of cache misses
 * cost more than the rest of a successful run.
 */
export type Update = (input: number) => void

/**
 * An empty `extraTags` array, shared so that an update allocates nothing.
 *
 * @internal
 */
export const NO_TAGS: ReadonlyArray<MetricLabel.MetricLabel> = Object.freeze([])

const columnName = (c: number): ErrorCategory | typeof NO_CATEGORY => c < C ? categories[c] : NO_CATEGORY

const keyFor = (task: string, slot: number): MetricKey.MetricKey<any> => {
  if (slot < SLOT_RETRIES) {
    return MetricKey.taggedWithLabels(attemptsKey, labels(task, columnName(slot - SLOT_ATTEMPTS)))
  }
  if (slot < SLOT_WAITS) {
    return MetricKey.taggedWithLabels(retriesKey, labels(task, columnName(slot - SLOT_RETRIES)))
  }
  if (slot < SLOT_OUTCOMES) {
    return MetricKey.taggedWithLabels(waitsKey, labels(task, columnName(slot - SLOT_WAITS)))
  }
  const i = slot - SLOT_OUTCOMES
  return MetricKey.taggedWithLabels(
    outcomesKey,
    labels(task, columnName(i % COLUMNS), outcomes[Math.floor(i / COLUMNS)])
  )
}

/**
 * The tagged instances of one task label, each created on first use.
 *
 * @internal
 */
export class MetricRow {
  private readonly cells: Array<Update | undefined> = new Array(SLOTS).fill(undefined)
  constructor(readonly label: string) {}
  /** Adds `input` to the series in `slot`. */
  update(slot: number, input: number): void {
    const f = this.cells[slot]
    if (f !== undefined) f(input)
    else this.updater(slot)(input)
  }
  /** The update function of the series in `slot`, resolved on first use. */
  updater(slot: number): Update {
    const f = this.cells[slot]
    if (f !== undefined) return f
    // the same hook `Metric.value` and exporters read for this key and labels
    const hook = Metric.globalMetricRegistry.get(keyFor(this.label, slot))
    const created: Update = hook.update.bind(hook)
    this.cells[slot] = created
    return created
  }
}

/**
 * Pre-tagged metric instances per task label. At most `maxTasks` distinct task labels are ever
 * created by one cache, because Effect's metric registry never forgets a series; later task
 * names share the {@link OVERFLOW_LABEL} row.
 *
 * @internal
 */
export class MetricCache {
  private readonly rows = new Map<string, MetricRow>()
  private overflow: MetricRow | undefined

  constructor(readonly maxTasks: number) {}

  /** The row for a task label, creating it while the cap allows. */
  row(task: string): MetricRow {
    const existing = this.rows.get(task)
    if (existing !== undefined) return existing
    if (this.rows.size < this.maxTasks) {
      const row = new MetricRow(task)
      this.rows.set(task, row)
      return row
    }
    if (this.overflow === undefined) this.overflow = new MetricRow(OVERFLOW_LABEL)
    return this.overflow
  }
}

// -----------------------------------------------------------------------------
// delivery of closed buckets to a sink
// -----------------------------------------------------------------------------

/** @internal */
export const sinkWrites: Metric.Metric.Counter<number> = Metric.counter(`${PREFIX}stats_sink_writes_total`, {
  description: "Batches of closed statistics buckets handed to a RetryStats sink, by result (ok, failed).",
  incremental: true
})

/** @internal */
export const sinkDropped: Metric.Metric.Counter<number> = Metric.counter(`${PREFIX}stats_sink_dropped_total`, {
  description: "Per-minute aggregates and samples a RetryStats sink could not take within the pending bound, " +
    "dropped, by kind (aggregate, sample).",
  incremental: true
})
