/**
 * The report: what each run did, measured on both sides of the wire, with the library's own
 * statistics and suggestions, and the checks that the numbers agree. Rendered as text, or as
 * JSON with `--json`.
 */
import type { ErrorCategory, RetryOutcome, RetryStats } from "@intelligent-retry/core"
import { Classifier } from "@intelligent-retry/core"
import * as Duration from "effect/Duration"
import type { Ledger } from "./CarrierApi.js"
import type { FaultRates } from "./Faults.js"
import type { JobKind } from "./Jobs.js"
import { jobKinds } from "./Jobs.js"
import type { DemoOptions } from "./Options.js"
import { formatScale, rootRelative } from "./Options.js"
import type { Tracker } from "./Tracker.js"
import { attemptTimeout, naiveBaseDelay } from "./Worker.js"

type Counts = Readonly<Record<ErrorCategory, number>>

/** Outcomes of the jobs of one kind. */
export interface KindOutcome {
  readonly jobs: number
  readonly succeededFirstTry: number
  readonly recovered: number
  readonly failed: number
  /** Failed jobs by the category of their last error. */
  readonly failedBy: Counts
}

/** One run, measured. */
export interface RunReport {
  readonly wallMillis: number
  readonly jobs: number
  readonly succeeded: number
  readonly failed: number
  /** Attempts the client made (its own count). */
  readonly attempts: number
  /** Jobs that made at least one attempt. */
  readonly firstAttempts: number
  /** Attempts after a job's first one. */
  readonly retries: number
  /** Requests the server received (its own count). */
  readonly serverRequests: number
  /** Attempts made right after a data or permanent error of the same job (client's count). */
  readonly retriesAfterDataOrPermanentError: number
  /**
   * Requests for a key after the server had given it a data or permanent answer (server's count).
   * Informational: an answer the client never received (it timed out first) is counted too.
   */
  readonly serverRequestsAfterFinalAnswer: number
  /** Requests for a key that arrived before a Retry-After announced for it expired (server's count). */
  readonly earlyRequests: number
  /**
   * Of {@link earlyRequests}, those that came after a 429 the client received: the ones that ignored
   * a hint. The others followed a 429 the client never saw, because its attempt had timed out
   * first (a loaded machine can delay an answer past the client's timeout); to the client that
   * attempt was a network error. Matched by position: the n-th request the server saw for a key
   * is the client's n-th attempt of that job.
   */
  readonly earlyRequestsAfterSeenHint: number
  /** Failed attempts per category (client's classification). */
  readonly failedAttemptsByCategory: Counts
  readonly outcomes: Readonly<Record<JobKind, KindOutcome>>
}

/** The library's own view, from `RetryStats`. */
export interface LibraryView {
  readonly totalRuns: number
  readonly totalErrors: number
  readonly totalRetries: number
  /** Total wait before retries, in milliseconds. */
  readonly totalWaitMillis: number
  readonly byCategory: Counts
  readonly retriesByCategory: Counts
  readonly byOutcome: Readonly<Record<RetryOutcome, number>>
  /** `analyzeTaskErrors` per task, most severe first. */
  readonly suggestions: ReadonlyArray<{
    readonly task: string
    readonly code: RetryStats.SuggestionCode
    readonly severity: RetryStats.SuggestionSeverity
    readonly message: string
  }>
}

/** An invariant of the numbers, checked. */
export interface Check {
  readonly name: string
  readonly ok: boolean
}

/** Everything, as `--json` prints it. */
export interface Report {
  readonly seed: number
  readonly jobs: Readonly<Record<JobKind | "total", number>>
  readonly concurrency: number
  readonly timeScale: number
  readonly rates: FaultRates
  readonly intelligent: RunReport & { readonly library: LibraryView }
  readonly naive: RunReport & { readonly schedule: string }
  readonly checks: ReadonlyArray<Check>
  /** The SQLite file the intelligent run's statistics were written to (`--db`), if any. */
  readonly database: string | undefined
}

const zeros = (): Record<ErrorCategory, number> =>
  Object.fromEntries(Classifier.categories.map((c) => [c, 0])) as Record<ErrorCategory, number>

const isFinal = (r: string) => r === "data_error" || r === "permanent_error"

/** See {@link RunReport.earlyRequestsAfterSeenHint}. */
const earlyAfterSeenHint = (tracker: Tracker, ledger: Ledger): number => {
  const seen = new Map<string, number>()
  let n = 0
  for (const request of ledger.requests) {
    const i = seen.get(request.key) ?? 0
    seen.set(request.key, i + 1)
    if (request.early && i > 0 && tracker.records.get(request.key)?.attempts[i - 1] === "api_rate_limit") n++
  }
  return n
}

/** Measures one run from the client's tracker and the server's ledger. */
export const measure = (tracker: Tracker, ledger: Ledger, wallMillis: number): RunReport => {
  const outcomes = Object.fromEntries(jobKinds.map((k) => [k, {
    jobs: 0,
    succeededFirstTry: 0,
    recovered: 0,
    failed: 0,
    failedBy: zeros()
  }])) as Record<
    JobKind,
    {
      jobs: number
      succeededFirstTry: number
      recovered: number
      failed: number
      failedBy: Record<ErrorCategory, number>
    }
  >
  const failedAttempts = zeros()
  let attempts = 0
  let firstAttempts = 0
  let wasted = 0
  for (const { attempts: results, job, succeeded } of tracker.records.values()) {
    const outcome = outcomes[job.kind]
    outcome.jobs++
    attempts += results.length
    if (results.length > 0) firstAttempts++
    results.forEach((r, i) => {
      if (r !== "ok") failedAttempts[r]++
      if (i > 0 && isFinal(results[i - 1])) wasted++
    })
    if (succeeded === true) {
      if (results.length === 1) outcome.succeededFirstTry++
      else outcome.recovered++
    } else {
      outcome.failed++
      const last = results[results.length - 1]
      if (last !== undefined && last !== "ok") outcome.failedBy[last]++
    }
  }
  const succeeded = jobKinds.reduce((n, k) => n + outcomes[k].succeededFirstTry + outcomes[k].recovered, 0)
  return {
    wallMillis,
    jobs: tracker.jobs.length,
    succeeded,
    failed: tracker.jobs.length - succeeded,
    attempts,
    firstAttempts,
    retries: attempts - firstAttempts,
    serverRequests: ledger.requests.length,
    retriesAfterDataOrPermanentError: wasted,
    serverRequestsAfterFinalAnswer: ledger.afterFinal,
    earlyRequests: ledger.early,
    earlyRequestsAfterSeenHint: earlyAfterSeenHint(tracker, ledger),
    failedAttemptsByCategory: failedAttempts,
    outcomes
  }
}

/** The library's statistics and suggestions, for the report. */
export const libraryView = (
  statistics: RetryStats.ErrorStatistics,
  analyses: ReadonlyArray<RetryStats.ErrorAnalysis>
): LibraryView => ({
  totalRuns: statistics.totalRuns,
  totalErrors: statistics.totalErrors,
  totalRetries: statistics.totalRetries,
  totalWaitMillis: statistics.totalWaitMillis,
  byCategory: statistics.byCategory,
  retriesByCategory: statistics.retriesByCategory,
  byOutcome: statistics.byOutcome,
  suggestions: analyses.flatMap((analysis) =>
    analysis.suggestions.map(({ code, message, severity }) => ({
      task: analysis.taskName ?? "all tasks",
      code,
      severity,
      message
    }))
  )
})

const outcomeTotal = (run: RunReport) =>
  jobKinds.reduce(
    (n, k) => n + run.outcomes[k].succeededFirstTry + run.outcomes[k].recovered + run.outcomes[k].failed,
    0
  )

/** The invariants the test asserts, and the report prints. */
export const checks = (intelligent: RunReport, library: LibraryView, naive: RunReport): ReadonlyArray<Check> => [
  ...([["intelligent", intelligent], ["naive", naive]] as const).flatMap(([name, run]) => [
    { name: `${name}: server requests = client attempts`, ok: run.serverRequests === run.attempts },
    { name: `${name}: attempts = first attempts + retries`, ok: run.attempts === run.firstAttempts + run.retries },
    { name: `${name}: first attempts = jobs`, ok: run.firstAttempts === run.jobs },
    { name: `${name}: outcomes add up to jobs`, ok: outcomeTotal(run) === run.jobs }
  ]),
  {
    name: "intelligent: no retry after a data or permanent error",
    ok: intelligent.retriesAfterDataOrPermanentError === 0
  },
  {
    name: "intelligent: no request before a Retry-After it received expired",
    ok: intelligent.earlyRequestsAfterSeenHint === 0
  },
  {
    name: "RetryStats agrees: runs = jobs, errors = failed attempts, retries = retries",
    ok: library.totalRuns === intelligent.jobs &&
      library.totalErrors === Classifier.categories.reduce((n, c) => n + intelligent.failedAttemptsByCategory[c], 0) &&
      library.totalRetries === intelligent.retries
  }
]

/** Assembles the report. */
export const make = (
  options: DemoOptions,
  intelligent: RunReport,
  library: LibraryView,
  naive: RunReport
): Report => {
  const kinds = Object.fromEntries(jobKinds.map((k) => [k, intelligent.outcomes[k].jobs])) as Record<JobKind, number>
  return {
    seed: options.seed,
    jobs: { total: options.jobs, ...kinds },
    concurrency: options.concurrency,
    timeScale: options.timeScale,
    rates: options.rates,
    intelligent: { ...intelligent, library },
    naive: { ...naive, schedule: naiveDescription(options.timeScale) },
    checks: checks(intelligent, library, naive),
    database: options.db?.file
  }
}

const ms = (d: Duration.Duration) => `${Math.round(Duration.toMillis(d) * 10) / 10} ms`

/** The naive strategy, in one line. */
export const naiveDescription = (timeScale: number) =>
  `Effect.retry with Schedule.exponential(${ms(naiveBaseDelay(timeScale))}) ∩ Schedule.recurs(5): ` +
  "every error alike, Retry-After ignored"

// -----------------------------------------------------------------------------------------------
// text
// -----------------------------------------------------------------------------------------------

const pct = (p: number) => `${Math.round(p * 1000) / 10}%`
const seconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`

/** Rows as columns: the first column left-aligned, the others right-aligned, the last left if `left`. */
const table = (rows: ReadonlyArray<ReadonlyArray<string>>, left = false, indent = "  "): Array<string> => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)))
  return rows.map((row) =>
    indent +
    row.map((cell, i) => i === 0 || (left && i === row.length - 1) ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))
      .join("   ").trimEnd()
  )
}

const breakdown = (counts: Counts) =>
  Classifier.categories.filter((c) => counts[c] > 0).map((c) => `${c} ${counts[c]}`).join(", ")

/** A header for the start of the run. */
export const header = (options: DemoOptions, kinds: Readonly<Record<JobKind, number>>): string => {
  const { rates } = options
  return [
    `intelligent-retry demo · seed ${options.seed} · ${options.jobs} jobs (${
      jobKinds.map((k) => `${kinds[k]} ${k}`).join(", ")
    }) · concurrency ${options.concurrency}`,
    `time scale ${formatScale(options.timeScale)}: policy delays and the server's Retry-After × ${
      formatScale(options.timeScale)
    }; client timeout ${seconds(Duration.toMillis(attemptTimeout(options.timeScale)))} per attempt`,
    `faults: network ${pct(rates.network)} · rate limit ${pct(rates.rateLimit)} · server error ${
      pct(rates.serverError)
    } · malformed ${pct(rates.malformed)} · unknown number ${pct(rates.unknown)}`,
    ""
  ].join("\n")
}

/**
 * Why the intelligent run can take longer than the naive one, with this run's numbers: it waits
 * as long as servers ask and its presets say, and it finishes jobs the naive run abandons. Said
 * whichever run was faster, since the reason is the same.
 */
export const whyLonger = (intelligent: RunReport, library: LibraryView, naive: RunReport): Array<string> => {
  const times = `${seconds(intelligent.wallMillis)} against ${seconds(naive.wallMillis)}`
  const extra = intelligent.succeeded - naive.succeeded
  return [
    intelligent.wallMillis > naive.wallMillis
      ? `Why intelligent retry took longer (${times}), on purpose:`
      : `Intelligent retry was not slower this time (${times}), but it can be, on purpose:`,
    `- it waits for what servers ask: each of its ${intelligent.failedAttemptsByCategory.api_rate_limit} answers 429 ` +
    "was waited out past its Retry-After",
    `  (${intelligent.earlyRequestsAfterSeenHint} early requests; the naive run sent ${naive.earlyRequestsAfterSeenHint} too early), and its ` +
    "presets back off longer: " +
    `${seconds(library.totalWaitMillis)}`,
    `  of waits in all (summed over jobs) before its ${library.totalRetries} retries;`,
    extra > 0
      ? `- it finishes jobs the naive run abandons: ${extra} more succeeded (${intelligent.succeeded} against ` +
        `${naive.succeeded}), and a job`
      : `- it keeps retrying what can still succeed, up to its presets' limits: ${intelligent.succeeded} jobs ` +
        `succeeded (naive: ${naive.succeeded}), and a job`,
    "  still retrying keeps the clock running;",
    `- it spends no time on what cannot succeed: 0 retries after a data or permanent error (naive: ${naive.retriesAfterDataOrPermanentError}).`
  ]
}

/** The final report as text. */
export const renderText = (report: Report): string => {
  const { intelligent: lib, naive } = report
  const lines: Array<string> = []
  lines.push("", "Outcomes with intelligent retry")
  lines.push(...table([
    ["task", "jobs", "first try", "recovered", "failed", "failed by last error"],
    ...jobKinds.map((k) => {
      const o = lib.outcomes[k]
      return [
        k,
        String(o.jobs),
        String(o.succeededFirstTry),
        String(o.recovered),
        String(o.failed),
        breakdown(o.failedBy)
      ]
    })
  ], true))
  lines.push("", "Failed attempts by category (RetryStats.getErrorStatistics)")
  lines.push(`  ${Classifier.categories.map((c) => `${c} ${lib.library.byCategory[c]}`).join(" · ")}`)
  lines.push(
    `  ${lib.library.totalRetries} retries: ${breakdown(lib.library.retriesByCategory) || "none"}; ` +
      `outcomes: ${
        Object.entries(lib.library.byOutcome).filter(([, n]) => n > 0).map(([o, n]) => `${o} ${n}`).join(", ")
      }`
  )
  lines.push("", "Suggestions (RetryStats.analyzeTaskErrors)")
  if (lib.library.suggestions.length === 0) lines.push("  none")
  for (const s of lib.library.suggestions) lines.push(`  ${s.task} · ${s.severity} ${s.code}: ${s.message}`)
  lines.push("", `Intelligent retry vs naive retry, same seed and jobs, a fresh server each`)
  lines.push(...table([
    ["", "intelligent", "naive"],
    ["attempts (client) / requests (server)", ...[lib, naive].map((r) => `${r.attempts} / ${r.serverRequests}`)],
    ["  first attempts + retries", ...[lib, naive].map((r) => `${r.firstAttempts} + ${r.retries}`)],
    ["retries after a data or permanent error", ...[lib, naive].map((r) => String(r.retriesAfterDataOrPermanentError))],
    ["429 answers received", ...[lib, naive].map((r) => String(r.failedAttemptsByCategory.api_rate_limit))],
    ["  of which requests before Retry-After expired", ...[lib, naive].map((r) => String(r.earlyRequests))],
    [
      "    after a 429 the client received",
      ...[lib, naive].map((r) => String(r.earlyRequestsAfterSeenHint))
    ],
    ["jobs succeeded / failed", ...[lib, naive].map((r) => `${r.succeeded} / ${r.failed}`)],
    ["wall time", ...[lib, naive].map((r) => seconds(r.wallMillis))]
  ]))
  lines.push(`  naive: ${naive.schedule}`)
  lines.push(...whyLonger(lib, lib.library, naive).map((line) => `  ${line}`))
  const failed = report.checks.filter((c) => !c.ok)
  lines.push(
    "",
    failed.length === 0
      ? `checks: all ${report.checks.length} passed (server and client counts agree; no retry after data or permanent errors; no request before a received Retry-After expired)`
      : `checks FAILED: ${failed.map((c) => c.name).join("; ")}`
  )
  if (report.database !== undefined) {
    const db = rootRelative(report.database)
    lines.push(
      "",
      `The intelligent run's statistics are in ${db} (SQLite, through SqlRetryStats). See them as an operator would:`,
      `  npx -y pnpm@12.4.2 intelligent-retry report --db ${db}`,
      `  npx -y pnpm@12.4.2 intelligent-retry serve --db ${db}`
    )
  }
  return lines.join("\n") + "\n"
}
