/**
 * The suggestion rules, as a table: each rule measures one value on an aggregated row and fires
 * when it reaches its threshold.
 *
 * @internal
 */
import type { ErrorCategory } from "../../ErrorCategory.js"
import type { Suggestion, SuggestionCode, SuggestionSeverity } from "../../RetryStats.js"
import {
  C,
  CATEGORY_INDEX,
  COLUMNS,
  F_FAILURES,
  F_RECOVERED_ONE,
  F_RETRIES,
  FAILED_OUTCOMES,
  O_EXHAUSTED,
  O_HINT,
  O_RECOVERED,
  outcomeCount
} from "./layout.js"

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

const t = suggestionThresholds

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`

const totalFailures = (row: ArrayLike<number>): number => {
  let n = 0
  for (let c = 0; c < C; c++) n += row[F_FAILURES + c]
  return n
}

/** Runs whose last failure was `c` and that either recovered or failed (interruptions excluded). */
const runsWithFailure = (row: ArrayLike<number>, c: number): number => {
  let n = outcomeCount(row, O_RECOVERED, c)
  for (const o of FAILED_OUTCOMES) n += outcomeCount(row, o, c)
  return n
}

/** The share of failed attempts of `category`, or `undefined` below `minErrors`. */
const share = (category: ErrorCategory) => (row: ArrayLike<number>): number | undefined => {
  const total = totalFailures(row)
  return total < t.minErrors ? undefined : row[F_FAILURES + CATEGORY_INDEX[category]] / total
}

/** The rate of runs failing with `category` that exhausted their retries, or `undefined` below `minRuns`. */
const exhaustedRate = (category: ErrorCategory) => (row: ArrayLike<number>): number | undefined => {
  const c = CATEGORY_INDEX[category]
  const runs = runsWithFailure(row, c)
  return runs < t.minRuns ? undefined : outcomeCount(row, O_EXHAUSTED, c) / runs
}

/**
 * One rule: what it measures, the threshold `observed` must reach, and what to say.
 *
 * @internal
 */
export interface Rule {
  readonly code: SuggestionCode
  readonly category: ErrorCategory | undefined
  readonly threshold: number
  /** The measured value, or `undefined` when there is not enough data to judge. */
  readonly measure: (row: ArrayLike<number>) => number | undefined
  readonly severity: (observed: number) => SuggestionSeverity
  readonly message: (observed: number) => string
}

const transientExhausted = (category: "temporary_error" | "system_error"): Rule => ({
  code: "TRANSIENT_ERRORS_EXHAUSTED",
  category,
  threshold: t.transientExhaustedRate,
  measure: exhaustedRate(category),
  severity: (rate) => rate >= t.transientExhaustedCriticalRate ? "critical" : "warning",
  message: (rate) =>
    `${pct(rate)} of runs failing with ${category} exhausted their retries. The dependency looks unhealthy, ` +
    `or maxRetries / maxDelay of ${category} is too low for its recovery time.`
})

/**
 * The rules, in the order their suggestions are listed within one severity.
 *
 * @internal
 */
export const rules: ReadonlyArray<Rule> = [
  {
    code: "DATA_ERRORS_RETRIED",
    category: "data_error",
    threshold: t.dataErrorRetries,
    measure: (row) => row[F_RETRIES + CATEGORY_INDEX["data_error"]],
    severity: () => "critical",
    message: (n) =>
      `${n} data error(s) were retried. The same input fails the same way: set the data_error decision ` +
      "to no_retry and fix validation upstream."
  },
  {
    code: "DATA_ERRORS_FREQUENT",
    category: "data_error",
    threshold: t.dataErrorShare,
    measure: share("data_error"),
    severity: () => "warning",
    message: (x) =>
      `Data errors are ${pct(x)} of failed attempts. Validate input before the call and fix the ` +
      "producer of bad data; retrying cannot help."
  },
  {
    code: "RATE_LIMITS_DOMINATE",
    category: "api_rate_limit",
    threshold: t.rateLimitShare,
    measure: share("api_rate_limit"),
    severity: () => "warning",
    message: (x) =>
      `Rate limits are ${pct(x)} of failed attempts. Lower concurrency, raise the base delay of ` +
      "api_rate_limit and honour the server's Retry-After hints."
  },
  transientExhausted("temporary_error"),
  transientExhausted("system_error"),
  {
    code: "NETWORK_RECOVERS_ON_FIRST_RETRY",
    category: "network_error",
    threshold: t.networkFirstRetryRecoveryRate,
    measure: (row) => {
      const c = CATEGORY_INDEX["network_error"]
      const runs = runsWithFailure(row, c)
      return runs < t.minRuns ? undefined : row[F_RECOVERED_ONE + c] / runs
    },
    severity: () => "info",
    message: (rate) =>
      `${pct(rate)} of runs with network errors recovered on the first retry: transient blips, ` +
      "the network policy is working. Nothing to do."
  },
  {
    code: "HINTS_ABOVE_MAX_DELAY",
    category: undefined,
    threshold: t.hintsRefused,
    measure: (row) => {
      let hints = 0
      for (let c = 0; c < COLUMNS; c++) hints += outcomeCount(row, O_HINT, c)
      return hints
    },
    severity: () => "warning",
    message: (n) =>
      `${n} run(s) failed at once because the server asked to wait longer than maxDelay. Raise maxDelay ` +
      "to honour such hints, or accept failing fast."
  },
  {
    code: "PERMANENT_ERRORS_FREQUENT",
    category: "permanent_error",
    threshold: t.permanentErrorShare,
    measure: share("permanent_error"),
    severity: () => "warning",
    message: (x) =>
      `Permanent errors are ${pct(x)} of failed attempts. Check that errors are classified ` +
      "correctly, and the input callers send (ids that do not exist, missing permissions)."
  }
]

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const

/**
 * The suggestions of every rule that fires on an aggregated row, most severe first, then in rule
 * order.
 *
 * @internal
 */
export const suggest = (row: ArrayLike<number>): Array<Suggestion> => {
  const out: Array<Suggestion> = []
  for (const rule of rules) {
    const observed = rule.measure(row)
    if (observed === undefined || !(observed >= rule.threshold)) continue
    out.push({
      code: rule.code,
      severity: rule.severity(observed),
      message: rule.message(observed),
      category: rule.category,
      observed,
      threshold: rule.threshold
    })
  }
  // stable sort: by severity, then in rule order
  return out.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])
}
