/**
 * The memory store behind `RetryStats`: interned task names, a running total per task, per-minute
 * buckets of the same counters in compact hash tables, and a ring of recent redacted samples.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { globalValue } from "effect/GlobalValue"
import { categories, type ErrorCategory } from "../ErrorCategory.js"
import { outcomes, type RetryOutcome } from "../RetryOutcome.js"
import type {
  ErrorAnalysis,
  ErrorSample,
  ErrorStatistics,
  RetryStatsService,
  StoreOptions,
  Suggestion,
  SuggestionCode,
  TaskStatistics,
  TimeWindow,
  TypeId as TypeId_,
  WindowErrorCounts
} from "../RetryStats.js"
import * as metrics from "./metrics.js"
import { safeMessage, safeTag, truncate } from "./redact.js"

/** @internal */
export const TypeId: TypeId_ = Symbol.for("@intelligent-retry/core/RetryStats") as TypeId_

// -----------------------------------------------------------------------------
// layout of a row: one row of STRIDE numbers per task
// -----------------------------------------------------------------------------

const C = categories.length
/** The column of "no category" in outcome cells. */
const NONE = C
const COLUMNS = C + 1
/** failures[c]: failed attempts of category c */
const F_FAILURES = 0
/** retries[c]: retries scheduled after a failure of category c */
const F_RETRIES = F_FAILURES + C
/** wait[c]: total wait before those retries, in milliseconds */
const F_WAIT = F_RETRIES + C
/** recoveredAfterOne[c]: runs recovered after exactly one retry, whose last failure was c */
const F_RECOVERED_ONE = F_WAIT + C
/** outcome[o][c]: runs that ended with outcome o, last failure c (NONE for no failure) */
const F_OUTCOMES = F_RECOVERED_ONE + C
/** @internal */
export const STRIDE = F_OUTCOMES + outcomes.length * COLUMNS

const indexOf = (names: ReadonlyArray<string>): Record<string, number> => {
  const index: Record<string, number> = {}
  names.forEach((name, i) => (index[name] = i))
  return index
}
const CATEGORY_INDEX = indexOf(categories)
const OUTCOME_INDEX = indexOf(outcomes)
const categoryIndex = (c: unknown): number => {
  const i = CATEGORY_INDEX[c as string]
  return typeof i === "number" ? i : -1
}
const outcomeIndex = (o: unknown): number => {
  const i = OUTCOME_INDEX[o as string]
  return typeof i === "number" ? i : -1
}
const O_RECOVERED = OUTCOME_INDEX["recovered"]
const O_EXHAUSTED = OUTCOME_INDEX["exhausted"]
const O_HINT = OUTCOME_INDEX["hint_exceeds_max_delay"]
const O_INTERRUPTED = OUTCOME_INDEX["interrupted"]
const O_SUCCEEDED = OUTCOME_INDEX["succeeded_first_try"]
/** Outcomes that count as a failed run in the recovery rate: all but success, recovery and interruption. */
const FAILED_OUTCOMES: ReadonlyArray<number> = outcomes
  .map((_, o) => o)
  .filter((o) => o !== O_SUCCEEDED && o !== O_RECOVERED && o !== O_INTERRUPTED)

/** @internal */
export const OVERFLOW_TASK = metrics.OVERFLOW_LABEL
/** @internal */
export const MAX_TASK_NAME_LENGTH = 200

// -----------------------------------------------------------------------------
// a time bucket: an open-addressing table from int key (taskId * STRIDE + field) to number
// -----------------------------------------------------------------------------

const EMPTY_KEY = -1
const INITIAL_SLOTS = 32

const hashSlot = (key: number, shift: number): number => Math.imul(key, 0x9e3779b1) >>> shift

/**
 * The counters of one time bucket, keyed by `taskId * STRIDE + field`.
 *
 * **Details**
 *
 * While the bucket is current it is an open-addressing hash table (linear probing, Fibonacci
 * hashing, load ≤ 3/4). When time moves on it is compacted into two arrays sorted by key, exactly
 * as long as its entries (12 bytes each), and read by binary search; a late record turns it back
 * into a table.
 *
 * @internal
 */
export class Bucket {
  keys: Int32Array = new Int32Array(INITIAL_SLOTS).fill(EMPTY_KEY)
  values: Float64Array = new Float64Array(INITIAL_SLOTS)
  size = 0
  shift = 32 - Math.log2(INITIAL_SLOTS)
  compacted = false
  /** Failed attempts per category over all tasks, for the monitor. */
  readonly failures: Float64Array = new Float64Array(C)
  /** Earliest record time in the bucket. */
  minTime: number
  readonly start: number
  readonly end: number

  constructor(readonly index: number, width: number, time: number) {
    this.start = index * width
    this.end = this.start + width
    this.minTime = time
  }

  add(key: number, delta: number): void {
    if (this.compacted) this.expand()
    const keys = this.keys
    const mask = keys.length - 1
    let i = hashSlot(key, this.shift)
    for (;;) {
      const k = keys[i]
      if (k === key) {
        this.values[i] += delta
        return
      }
      if (k === EMPTY_KEY) break
      i = (i + 1) & mask
    }
    if ((this.size + 1) * 4 > keys.length * 3) {
      this.rehash(keys.length * 2)
      this.add(key, delta)
      return
    }
    keys[i] = key
    this.values[i] = delta
    this.size++
  }

  get(key: number): number {
    const keys = this.keys
    if (this.compacted) {
      let lo = 0
      let hi = keys.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        const k = keys[mid]
        if (k === key) return this.values[mid]
        if (k < key) lo = mid + 1
        else hi = mid - 1
      }
      return 0
    }
    const mask = keys.length - 1
    let i = hashSlot(key, this.shift)
    for (;;) {
      const k = keys[i]
      if (k === key) return this.values[i]
      if (k === EMPTY_KEY) return 0
      i = (i + 1) & mask
    }
  }

  /** Shrinks to sorted arrays of exactly `size` entries. */
  compact(): void {
    if (this.compacted) return
    const keys = new Int32Array(this.size)
    let j = 0
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] !== EMPTY_KEY) keys[j++] = this.keys[i]
    // a typed array sorts numerically, natively
    keys.sort()
    const values = new Float64Array(keys.length)
    for (let k = 0; k < keys.length; k++) values[k] = this.get(keys[k])
    this.keys = keys
    this.values = values
    this.compacted = true
  }

  private expand(): void {
    let slots = INITIAL_SLOTS
    while (slots * 3 < (this.size + 1) * 4) slots *= 2
    this.compacted = false
    this.rehash(slots)
  }

  private rehash(slots: number): void {
    const oldKeys = this.keys
    const oldValues = this.values
    this.keys = new Int32Array(slots).fill(EMPTY_KEY)
    this.values = new Float64Array(slots)
    this.shift = 32 - Math.log2(slots)
    this.size = 0
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] !== EMPTY_KEY) this.add(oldKeys[i], oldValues[i])
    }
  }
}

// -----------------------------------------------------------------------------
// options
// -----------------------------------------------------------------------------

/** @internal */
export interface ResolvedOptions {
  readonly bucketWidthMillis: number
  readonly sampleSize: number
  readonly maxTasks: number
  readonly maxMetricTasks: number
  readonly retentionMillis: number
  readonly metrics: boolean
}

/** @internal */
export const defaultOptions: ResolvedOptions = Object.freeze({
  bucketWidthMillis: 60_000,
  sampleSize: 200,
  maxTasks: 10_000,
  maxMetricTasks: 1_000,
  retentionMillis: 7 * 24 * 60 * 60 * 1000,
  metrics: true
})

const show = (u: unknown): string => {
  try {
    if (typeof u === "string") return JSON.stringify(u)
    if (typeof u === "bigint") return `${u}n`
    if (typeof u === "number" || typeof u === "boolean" || u === undefined || u === null) return String(u)
    if (Duration.isDuration(u)) return Duration.format(u)
    return JSON.stringify(u) ?? String(u)
  } catch {
    return "<unprintable>"
  }
}

/**
 * Throws an `IllegalArgumentException` naming the option and the value.
 *
 * @internal
 */
export const invalid = (where: string, field: string, expected: string, value: unknown): never => {
  throw new Cause.IllegalArgumentException(`${where}: expected \`${field}\` to be ${expected}, got ${show(value)}`)
}

const isNegativeNumber = (u: unknown): boolean =>
  (typeof u === "number" && (u < 0 || Number.isNaN(u))) || (typeof u === "bigint" && u < BigInt(0))

const isNegativeInput = (u: unknown): boolean =>
  isNegativeNumber(u) || (typeof u === "string" && /^\s*-/.test(u)) ||
  (Array.isArray(u) && u.some(isNegativeNumber))

/**
 * Reads a duration option in milliseconds; throws naming the field when it cannot be decoded.
 *
 * @internal
 */
export const durationMillis = (
  where: string,
  field: string,
  value: unknown,
  bounds: { readonly infinite: boolean; readonly zero: boolean }
): number => {
  const expected = `a ${bounds.zero ? "non-negative" : "positive"}${bounds.infinite ? "" : ", finite"} duration`
  // `Duration.decode` turns a negative or NaN input into zero: reject it before
  if (isNegativeInput(value)) return invalid(where, field, expected, value)
  let millis: number
  try {
    millis = Duration.toMillis(Duration.decode(value as Duration.DurationInput))
  } catch {
    return invalid(where, field, expected, value)
  }
  if (
    Number.isNaN(millis) || millis < 0 || (millis === 0 && !bounds.zero) ||
    (!bounds.infinite && !Number.isFinite(millis))
  ) {
    return invalid(where, field, expected, value)
  }
  return millis
}

const integerIn = (field: string, value: unknown, min: number, max: number): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return invalid("RetryStats", field, `an integer in [${min}, ${max}]`, value)
  }
  return value
}

/**
 * Validates store options once; every error names the field and the value.
 *
 * @internal
 */
export const resolveOptions = (options: StoreOptions | undefined): ResolvedOptions => {
  if (options === undefined) return defaultOptions
  if (typeof options !== "object" || options === null) return invalid("RetryStats", "options", "an object", options)
  const bucketWidthMillis = options.bucketWidth === undefined
    ? defaultOptions.bucketWidthMillis
    : durationMillis("RetryStats", "bucketWidth", options.bucketWidth, { infinite: false, zero: false })
  if (!Number.isInteger(bucketWidthMillis)) {
    invalid("RetryStats", "bucketWidth", "a whole number of milliseconds", options.bucketWidth)
  }
  const retentionMillis = options.retention === undefined
    ? defaultOptions.retentionMillis
    : durationMillis("RetryStats", "retention", options.retention, { infinite: true, zero: false })
  if (retentionMillis < bucketWidthMillis) {
    invalid("RetryStats", "retention", `at least \`bucketWidth\` (${bucketWidthMillis} ms)`, options.retention)
  }
  const sampleSize = options.sampleSize === undefined
    ? defaultOptions.sampleSize
    : integerIn("sampleSize", options.sampleSize, 0, 100_000)
  const maxTasks = options.maxTasks === undefined
    ? defaultOptions.maxTasks
    : integerIn("maxTasks", options.maxTasks, 1, 1_000_000)
  const maxMetricTasks = options.maxMetricTasks === undefined
    ? Math.min(defaultOptions.maxMetricTasks, maxTasks + 1)
    : integerIn("maxMetricTasks", options.maxMetricTasks, 0, 1_000_000)
  if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
    invalid("RetryStats", "metrics", "a boolean", options.metrics)
  }
  return Object.freeze({
    bucketWidthMillis,
    sampleSize,
    maxTasks,
    maxMetricTasks,
    retentionMillis,
    metrics: options.metrics ?? defaultOptions.metrics
  })
}

/**
 * Validates the argument of `cleanupOldErrors`: a non-negative duration (infinite drops nothing).
 *
 * @internal
 */
export const olderThanMillis = (olderThan: unknown): number =>
  durationMillis("RetryStats.cleanupOldErrors", "olderThan", olderThan, { infinite: true, zero: true })

/**
 * Validates a window: a positive, finite duration.
 *
 * @internal
 */
export const windowMillis = (window: unknown): number =>
  durationMillis("RetryStats.errorsInWindow", "window", window, { infinite: false, zero: false })

// -----------------------------------------------------------------------------
// suggestions
// -----------------------------------------------------------------------------

/**
 * The thresholds of the suggestion rules, in one place. Shares are fractions of failed attempts;
 * rates are fractions of runs whose last failure had the category.
 *
 * @internal
 */
export const suggestionThresholds = Object.freeze({
  /** Share rules need at least this many failed attempts: below it one error moves a share by 10 points. */
  minErrors: 10,
  /** Rate rules need at least this many runs that failed at least once. */
  minRuns: 10,
  /** Any retried data error is a configuration mistake: the same input fails the same way. */
  dataErrorRetries: 1,
  /** Data errors at or above 10% of failed attempts point at a validation gap upstream. */
  dataErrorShare: 0.1,
  /** Rate limits at or above half of failed attempts dominate. */
  rateLimitShare: 0.5,
  /** One run in five exhausting its retries on a transient category: the dependency is unhealthy. */
  transientExhaustedRate: 0.2,
  /** Half or more of them: critical. */
  transientExhaustedCriticalRate: 0.5,
  /** Four runs in five recovering after exactly one retry: network blips, healthy. */
  networkFirstRetryRecoveryRate: 0.8,
  /** Every refused hint is a call the server said would succeed later. */
  hintsRefused: 1,
  /** Permanent errors at or above a quarter of failed attempts: misclassification or bad input. */
  permanentErrorShare: 0.25
})

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`

const cell = (row: Float64Array, field: number): number => row[field]

const outcomeCount = (row: Float64Array, o: number, c: number): number => row[F_OUTCOMES + o * COLUMNS + c]

/** Runs whose last failure was `c` and that either recovered or failed (interruptions excluded). */
const runsWithFailure = (row: Float64Array, c: number): number => {
  let n = outcomeCount(row, O_RECOVERED, c)
  for (const o of FAILED_OUTCOMES) n += outcomeCount(row, o, c)
  return n
}

/**
 * The suggestion rules, applied to an aggregated row.
 *
 * @internal
 */
export const suggest = (row: Float64Array): Array<Suggestion> => {
  const t = suggestionThresholds
  const out: Array<Suggestion> = []
  const push = (
    code: SuggestionCode,
    severity: Suggestion["severity"],
    category: ErrorCategory | undefined,
    observed: number,
    threshold: number,
    message: string
  ) => out.push({ code, severity, message, category, observed, threshold })

  let total = 0
  for (let c = 0; c < C; c++) total += cell(row, F_FAILURES + c)
  const share = (c: number) => total === 0 ? 0 : cell(row, F_FAILURES + c) / total
  const DATA = CATEGORY_INDEX["data_error"]
  const RATE = CATEGORY_INDEX["api_rate_limit"]
  const NETWORK = CATEGORY_INDEX["network_error"]
  const PERMANENT = CATEGORY_INDEX["permanent_error"]

  const dataRetries = cell(row, F_RETRIES + DATA)
  if (dataRetries >= t.dataErrorRetries) {
    push(
      "DATA_ERRORS_RETRIED",
      "critical",
      "data_error",
      dataRetries,
      t.dataErrorRetries,
      `${dataRetries} data error(s) were retried. The same input fails the same way: set the data_error decision ` +
        "to no_retry and fix validation upstream."
    )
  }
  if (total >= t.minErrors && share(DATA) >= t.dataErrorShare) {
    push(
      "DATA_ERRORS_FREQUENT",
      "warning",
      "data_error",
      share(DATA),
      t.dataErrorShare,
      `Data errors are ${pct(share(DATA))} of failed attempts. Validate input before the call and fix the ` +
        "producer of bad data; retrying cannot help."
    )
  }
  if (total >= t.minErrors && share(RATE) >= t.rateLimitShare) {
    push(
      "RATE_LIMITS_DOMINATE",
      "warning",
      "api_rate_limit",
      share(RATE),
      t.rateLimitShare,
      `Rate limits are ${pct(share(RATE))} of failed attempts. Lower concurrency, raise the base delay of ` +
        "api_rate_limit and honour the server's Retry-After hints."
    )
  }
  for (const category of ["temporary_error", "system_error"] as const) {
    const c = CATEGORY_INDEX[category]
    const runs = runsWithFailure(row, c)
    if (runs < t.minRuns) continue
    const rate = outcomeCount(row, O_EXHAUSTED, c) / runs
    if (rate < t.transientExhaustedRate) continue
    push(
      "TRANSIENT_ERRORS_EXHAUSTED",
      rate >= t.transientExhaustedCriticalRate ? "critical" : "warning",
      category,
      rate,
      t.transientExhaustedRate,
      `${pct(rate)} of runs failing with ${category} exhausted their retries. The dependency looks unhealthy, ` +
        `or maxRetries / maxDelay of ${category} is too low for its recovery time.`
    )
  }
  {
    const runs = runsWithFailure(row, NETWORK)
    if (runs >= t.minRuns) {
      const rate = cell(row, F_RECOVERED_ONE + NETWORK) / runs
      if (rate >= t.networkFirstRetryRecoveryRate) {
        push(
          "NETWORK_RECOVERS_ON_FIRST_RETRY",
          "info",
          "network_error",
          rate,
          t.networkFirstRetryRecoveryRate,
          `${pct(rate)} of runs with network errors recovered on the first retry: transient blips, ` +
            "the network policy is working. Nothing to do."
        )
      }
    }
  }
  {
    let hints = 0
    for (let c = 0; c < COLUMNS; c++) hints += outcomeCount(row, O_HINT, c)
    if (hints >= t.hintsRefused) {
      push(
        "HINTS_ABOVE_MAX_DELAY",
        "warning",
        undefined,
        hints,
        t.hintsRefused,
        `${hints} run(s) failed at once because the server asked to wait longer than maxDelay. Raise maxDelay ` +
          "to honour such hints, or accept failing fast."
      )
    }
  }
  if (total >= t.minErrors && share(PERMANENT) >= t.permanentErrorShare) {
    push(
      "PERMANENT_ERRORS_FREQUENT",
      "warning",
      "permanent_error",
      share(PERMANENT),
      t.permanentErrorShare,
      `Permanent errors are ${pct(share(PERMANENT))} of failed attempts. Check that errors are classified ` +
        "correctly, and the input callers send (ids that do not exist, missing permissions)."
    )
  }
  // stable: by severity, then in rule order
  return out
    .map((s, i) => [s, i] as const)
    .sort(([a, i], [b, j]) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || i - j)
    .map(([s]) => s)
}

// -----------------------------------------------------------------------------
// reading rows
// -----------------------------------------------------------------------------

const perCategory = (row: Float64Array, base: number): Record<ErrorCategory, number> => {
  const out = {} as Record<ErrorCategory, number>
  for (let c = 0; c < C; c++) out[categories[c]] = row[base + c]
  return out
}

const perOutcome = (row: Float64Array): Record<RetryOutcome, number> => {
  const out = {} as Record<RetryOutcome, number>
  for (let o = 0; o < outcomes.length; o++) {
    let n = 0
    for (let c = 0; c < COLUMNS; c++) n += row[F_OUTCOMES + o * COLUMNS + c]
    out[outcomes[o]] = n
  }
  return out
}

const sumRange = (row: Float64Array, base: number, n: number): number => {
  let s = 0
  for (let i = 0; i < n; i++) s += row[base + i]
  return s
}

const taskStatistics = (row: Float64Array): TaskStatistics => ({
  totalErrors: sumRange(row, F_FAILURES, C),
  categoryDistribution: perCategory(row, F_FAILURES),
  retries: sumRange(row, F_RETRIES, C),
  waitMillis: sumRange(row, F_WAIT, C),
  outcomes: perOutcome(row)
})

/**
 * Builds an analysis from an aggregated row.
 *
 * @internal
 */
export const analysisOf = (taskName: string | undefined, row: Float64Array, window: TimeWindow): ErrorAnalysis => {
  const recovered = sumRange(row, F_OUTCOMES + O_RECOVERED * COLUMNS, COLUMNS)
  let failedRuns = 0
  for (const o of FAILED_OUTCOMES) failedRuns += sumRange(row, F_OUTCOMES + o * COLUMNS, COLUMNS)
  const runs = sumRange(row, F_OUTCOMES, outcomes.length * COLUMNS)
  return {
    taskName,
    ...taskStatistics(row),
    retriesByCategory: perCategory(row, F_RETRIES),
    runs,
    recovered,
    failedRuns,
    recoveryRate: recovered + failedRuns === 0 ? 0 : recovered / (recovered + failedRuns),
    suggestions: suggest(row),
    window
  }
}

const emptyRow = (): Float64Array => new Float64Array(STRIDE)

// -----------------------------------------------------------------------------
// the memory store
// -----------------------------------------------------------------------------

/**
 * The in-memory store.
 *
 * @internal
 */
export class MemoryStore implements RetryStatsService {
  readonly [TypeId]: TypeId_ = TypeId
  readonly enabled = true

  private readonly width: number
  private readonly ids = new Map<string, number>()
  private names: Array<string | undefined> = []
  private readonly freeIds: Array<number> = []
  private live = 0
  private overflowId = -1
  private totals: Float64Array = new Float64Array(64 * STRIDE)
  private readonly buckets = new Map<number, Bucket>()
  private current: Bucket | undefined = undefined
  private lastSweep = -Infinity

  // ring of samples, in parallel arrays so that recording allocates only the strings
  private readonly sTime: Float64Array
  private readonly sAttempt: Float64Array
  private readonly sCategory: Uint8Array
  private readonly sTask: Array<string>
  private readonly sTag: Array<string>
  private readonly sMessage: Array<string>
  private sNext = 0
  private sCount = 0

  private readonly metricCache: metrics.MetricCache | undefined
  private metricRows: Array<metrics.MetricRow | undefined> = []
  private successUpdates: Array<metrics.Update | undefined> = []

  constructor(readonly options: ResolvedOptions) {
    this.width = options.bucketWidthMillis
    const n = options.sampleSize
    this.sTime = new Float64Array(n)
    this.sAttempt = new Float64Array(n)
    this.sCategory = new Uint8Array(n)
    this.sTask = new Array(n).fill("")
    this.sTag = new Array(n).fill("")
    this.sMessage = new Array(n).fill("")
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
      if (this.options.sampleSize > 0) this.sample(now, id, c, error, attempt)
      const key = id * STRIDE + F_FAILURES + c
      b.add(key, 1)
      b.failures[c]++
      if (now < b.minTime) b.minTime = now
      this.totals[key]++
      if (this.metricCache !== undefined) {
        this.metricRow(id).update(metrics.SLOT_ATTEMPTS + c, 1)
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
      const key = id * STRIDE + F_RETRIES + c
      b.add(key, 1)
      this.totals[key]++
      if (wait > 0) {
        b.add(id * STRIDE + F_WAIT + c, wait)
        this.totals[id * STRIDE + F_WAIT + c] += wait
      }
      if (now < b.minTime) b.minTime = now
      if (this.metricCache !== undefined) {
        const row = this.metricRow(id)
        row.update(metrics.SLOT_RETRIES + c, 1)
        row.update(metrics.SLOT_WAITS + c, wait)
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
      const key = id * STRIDE + F_OUTCOMES + o * COLUMNS + c
      b.add(key, 1)
      this.totals[key]++
      if (o === O_RECOVERED && retries === 1 && c !== NONE) {
        b.add(id * STRIDE + F_RECOVERED_ONE + c, 1)
        this.totals[id * STRIDE + F_RECOVERED_ONE + c]++
      }
      if (now < b.minTime) b.minTime = now
      if (this.metricCache !== undefined) {
        if (o === O_SUCCEEDED && c === NONE) {
          // the happy path of every call: one stored function, no row lookup
          const f = this.successUpdates[id]
          if (f !== undefined) f(1)
          else this.successUpdater(id)(1)
        } else {
          this.metricRow(id).update(metrics.SLOT_OUTCOMES + o * COLUMNS + c, 1)
        }
      }
    } catch {
      // recording is best-effort: a statistic is never worth a failure of the caller
    }
  }

  private sample(now: number, id: number, c: number, error: unknown, attempt: number): void {
    const i = this.sNext
    this.sTime[i] = now
    this.sAttempt[i] = typeof attempt === "number" ? attempt : 0
    this.sCategory[i] = c
    this.sTask[i] = this.names[id] ?? OVERFLOW_TASK
    this.sTag[i] = safeTag(error)
    this.sMessage[i] = safeMessage(error)
    this.sNext = i + 1 === this.sTime.length ? 0 : i + 1
    if (this.sCount < this.sTime.length) this.sCount++
  }

  private successUpdater(id: number): metrics.Update {
    const f = this.metricRow(id).updater(metrics.SLOT_OUTCOMES + O_SUCCEEDED * COLUMNS + NONE)
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
    let b = this.buckets.get(index)
    if (b === undefined) {
      b = new Bucket(index, this.width, now)
      this.buckets.set(index, b)
    }
    if (this.current === undefined || index > this.current.index) {
      // the previous bucket is closed: shrink it to its entries
      this.current?.compact()
      this.current = b
      // retention: at most one sweep per bucket width
      if (this.options.retentionMillis < Infinity && now - this.lastSweep >= this.width) {
        this.lastSweep = now
        this.dropBefore(now - this.options.retentionMillis)
      }
    }
    return b
  }

  /** The id of a task name as recorded (long names are kept truncated), if held. */
  private lookup(taskName: string): number | undefined {
    if (typeof taskName !== "string") return undefined
    return this.ids.get(taskName) ??
      (taskName.length > MAX_TASK_NAME_LENGTH ? this.ids.get(truncate(taskName, MAX_TASK_NAME_LENGTH)) : undefined)
  }

  private taskId(task: string): number {
    const id = this.ids.get(task)
    return id !== undefined ? id : this.intern(task)
  }

  private intern(task: string): number {
    let name = typeof task === "string" ? task : String(task)
    name = truncate(name, MAX_TASK_NAME_LENGTH)
    const existing = this.ids.get(name)
    if (existing !== undefined) return existing
    if (this.live >= this.options.maxTasks) {
      if (this.overflowId < 0) this.overflowId = this.allocate(OVERFLOW_TASK)
      return this.overflowId
    }
    this.live++
    return this.allocate(name)
  }

  private allocate(name: string): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.names.length
    if (id === this.names.length) {
      this.names.push(name)
      this.metricRows.push(undefined)
      this.successUpdates.push(undefined)
    } else {
      this.names[id] = name
      this.metricRows[id] = undefined
      this.successUpdates[id] = undefined
    }
    if ((id + 1) * STRIDE > this.totals.length) {
      const grown = new Float64Array(Math.max(this.totals.length * 2, (id + 1) * STRIDE))
      grown.set(this.totals)
      this.totals = grown
    }
    this.ids.set(name, id)
    return id
  }

  // --- cleanup ----------------------------------------------------------------

  /**
   * Drops every bucket that ends at or before `cutoff` and every sample older than it. Returns the
   * failed attempts held in the dropped buckets.
   */
  dropBefore(cutoff: number): number {
    let dropped = 0
    const touched = new Set<number>()
    for (const [index, b] of this.buckets) {
      if (b.end > cutoff) continue
      const keys = b.keys
      const values = b.values
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]
        if (key === EMPTY_KEY) continue
        const field = key % STRIDE
        if (field < F_FAILURES + C) dropped += values[i]
        const left = this.totals[key] - values[i]
        // waits may be fractional: do not leave rounding residue that would keep a task alive
        this.totals[key] = left < 1e-6 ? 0 : left
        touched.add((key - field) / STRIDE)
      }
      this.buckets.delete(index)
      if (this.current === b) this.current = undefined
    }
    for (const id of touched) this.releaseIfEmpty(id)
    this.dropSamplesBefore(cutoff)
    return dropped
  }

  private releaseIfEmpty(id: number): void {
    const name = this.names[id]
    if (name === undefined || id === this.overflowId) return
    const base = id * STRIDE
    for (let f = 0; f < STRIDE; f++) if (this.totals[base + f] !== 0) return
    this.ids.delete(name)
    this.names[id] = undefined
    this.metricRows[id] = undefined
    this.successUpdates[id] = undefined
    this.freeIds.push(id)
    this.live--
  }

  private dropSamplesBefore(cutoff: number): void {
    const n = this.sTime.length
    if (n === 0 || this.sCount === 0) return
    // compact the kept samples, oldest first, to the start of the ring
    const kept: Array<number> = []
    for (let k = 0; k < this.sCount; k++) {
      const i = (this.sNext - this.sCount + k + n) % n
      if (this.sTime[i] >= cutoff) kept.push(i)
    }
    if (kept.length === this.sCount) return
    const time = kept.map((i) => this.sTime[i])
    const attempt = kept.map((i) => this.sAttempt[i])
    const category = kept.map((i) => this.sCategory[i])
    const task = kept.map((i) => this.sTask[i])
    const tag = kept.map((i) => this.sTag[i])
    const message = kept.map((i) => this.sMessage[i])
    this.sTask.fill("")
    this.sTag.fill("")
    this.sMessage.fill("")
    for (let k = 0; k < kept.length; k++) {
      this.sTime[k] = time[k]
      this.sAttempt[k] = attempt[k]
      this.sCategory[k] = category[k]
      this.sTask[k] = task[k]
      this.sTag[k] = tag[k]
      this.sMessage[k] = message[k]
    }
    this.sCount = kept.length
    this.sNext = kept.length % n
  }

  // --- reading ----------------------------------------------------------------

  /** The samples held, oldest first, optionally filtered. */
  unsafeSamples(filter?: (s: ErrorSample) => boolean): Array<ErrorSample> {
    const n = this.sTime.length
    const out: Array<ErrorSample> = []
    for (let k = 0; k < this.sCount; k++) {
      const i = (this.sNext - this.sCount + k + n) % n
      const s: ErrorSample = {
        time: this.sTime[i],
        task: this.sTask[i],
        category: categories[this.sCategory[i]],
        tag: this.sTag[i],
        message: this.sMessage[i],
        attempt: this.sAttempt[i]
      }
      if (filter === undefined || filter(s)) out.push(s)
    }
    return out
  }

  private row(taskName: string | undefined): Float64Array {
    if (taskName === undefined) {
      const row = emptyRow()
      const totals = this.totals
      for (let id = 0; id < this.names.length; id++) {
        if (this.names[id] === undefined) continue
        const base = id * STRIDE
        for (let f = 0; f < STRIDE; f++) row[f] += totals[base + f]
      }
      return row
    }
    const id = this.lookup(taskName)
    if (id === undefined) return emptyRow()
    return this.totals.slice(id * STRIDE, (id + 1) * STRIDE)
  }

  private window(now: number): TimeWindow {
    let from = Infinity
    for (const b of this.buckets.values()) if (b.minTime < from) from = b.minTime
    if (from === Infinity) from = now
    return { from, to: Math.max(now, from) }
  }

  unsafeAnalyze(taskName: string | undefined, now: number): ErrorAnalysis {
    return analysisOf(taskName, this.row(taskName), this.window(now))
  }

  unsafeStatistics(now: number): ErrorStatistics {
    const all = emptyRow()
    const byTask: Record<string, TaskStatistics> = {}
    for (let id = 0; id < this.names.length; id++) {
      const name = this.names[id]
      if (name === undefined) continue
      const row = this.totals.subarray(id * STRIDE, (id + 1) * STRIDE)
      let any = false
      for (let f = 0; f < STRIDE; f++) {
        if (row[f] !== 0) any = true
        all[f] += row[f]
      }
      if (any) {
        Object.defineProperty(byTask, name, {
          value: taskStatistics(row),
          enumerable: true,
          writable: true,
          configurable: true
        })
      }
    }
    const total = taskStatistics(all)
    return {
      totalErrors: total.totalErrors,
      totalRetries: total.retries,
      totalWaitMillis: total.waitMillis,
      totalRuns: sumRange(all, F_OUTCOMES, outcomes.length * COLUMNS),
      byCategory: total.categoryDistribution,
      retriesByCategory: perCategory(all, F_RETRIES),
      byOutcome: total.outcomes,
      byTask,
      taskCount: this.live + (this.overflowId >= 0 && this.names[this.overflowId] !== undefined ? 1 : 0),
      recentSamples: this.unsafeSamples(),
      window: this.window(now)
    }
  }

  unsafeWindowCounts(taskName: string | undefined, now: number, windowMillis: number): WindowErrorCounts {
    const index = Math.floor(now / this.width)
    const n = Math.max(1, Math.ceil(windowMillis / this.width))
    const counts = new Float64Array(C)
    const id = taskName === undefined ? -1 : this.lookup(taskName)
    if (id !== undefined) {
      for (let k = 0; k < n; k++) {
        const b = this.buckets.get(index - k)
        if (b === undefined) continue
        for (let c = 0; c < C; c++) counts[c] += id < 0 ? b.failures[c] : b.get(id * STRIDE + F_FAILURES + c)
      }
    }
    const window = { from: (index - n + 1) * this.width, to: now }
    return {
      taskName,
      totalErrors: sumRange(counts, 0, C),
      categoryDistribution: perCategory(counts, 0),
      window
    }
  }

  // --- effects ------------------------------------------------------------------

  analyzeTaskErrors(taskName?: string): Effect.Effect<ErrorAnalysis> {
    return Effect.clockWith((clock) => Effect.sync(() => this.unsafeAnalyze(taskName, clock.unsafeCurrentTimeMillis())))
  }

  get getErrorStatistics(): Effect.Effect<ErrorStatistics> {
    return Effect.clockWith((clock) => Effect.sync(() => this.unsafeStatistics(clock.unsafeCurrentTimeMillis())))
  }

  cleanupOldErrors(olderThan: Duration.DurationInput = "24 hours"): Effect.Effect<number> {
    const millis = olderThanMillis(olderThan)
    return Effect.clockWith((clock) => Effect.sync(() => this.dropBefore(clock.unsafeCurrentTimeMillis() - millis)))
  }

  errorsInWindow(window: Duration.DurationInput, taskName?: string): Effect.Effect<WindowErrorCounts> {
    const millis = windowMillis(window)
    return Effect.clockWith((clock) =>
      Effect.sync(() => this.unsafeWindowCounts(taskName, clock.unsafeCurrentTimeMillis(), millis))
    )
  }

  recentSamples(limit?: number): Effect.Effect<ReadonlyArray<ErrorSample>> {
    return Effect.sync(() => {
      const all = this.unsafeSamples()
      return limit === undefined ? all : all.slice(Math.max(0, all.length - limit))
    })
  }
}

// -----------------------------------------------------------------------------
// no-op store
// -----------------------------------------------------------------------------

const zeroRow = emptyRow()

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
  analyzeTaskErrors: (taskName) =>
    Effect.map(
      Effect.clockWith((clock) => Effect.sync(() => clock.unsafeCurrentTimeMillis())),
      (now) => analysisOf(taskName, zeroRow, { from: now, to: now })
    ),
  getErrorStatistics: Effect.map(
    Effect.clockWith((clock) => Effect.sync(() => clock.unsafeCurrentTimeMillis())),
    (now): ErrorStatistics => {
      const total = taskStatistics(zeroRow)
      return {
        totalErrors: 0,
        totalRetries: 0,
        totalWaitMillis: 0,
        totalRuns: 0,
        byCategory: total.categoryDistribution,
        retriesByCategory: perCategory(zeroRow, F_RETRIES),
        byOutcome: total.outcomes,
        byTask: {},
        taskCount: 0,
        recentSamples: [],
        window: { from: now, to: now }
      }
    }
  ),
  cleanupOldErrors: (olderThan = "24 hours") => {
    olderThanMillis(olderThan)
    return Effect.succeed(0)
  },
  errorsInWindow: (window, taskName) => {
    const millis = windowMillis(window)
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return {
          taskName,
          totalErrors: 0,
          categoryDistribution: perCategory(zeroRow, 0),
          window: { from: now - millis, to: now }
        }
      })
    )
  },
  recentSamples: () => Effect.succeed([])
}

/**
 * Creates a memory store with validated options.
 *
 * @internal
 */
export const unsafeMake = (options?: StoreOptions): MemoryStore => new MemoryStore(resolveOptions(options))

/**
 * The process-wide store, created on first use and shared even if this module is loaded twice.
 *
 * @internal
 */
export const globalStore = (): MemoryStore =>
  globalValue(Symbol.for("@intelligent-retry/core/RetryStats/globalStore"), () => unsafeMake())
