/**
 * `intelligent-retry report`: the fleet-wide analysis as a table for people, or as JSON for
 * scripts. Pure functions of the analyses read from the store; nothing here reads a database.
 *
 * @internal
 */
import type { ErrorCategory, RetryOutcome, RetryStats } from "@intelligent-retry/core"
import { Classifier, IntelligentRetry } from "@intelligent-retry/core"
import * as Effect from "effect/Effect"
import type { CliError } from "./errors.js"
import type { Fleet } from "./fleet.js"

type ErrorAnalysis = RetryStats.ErrorAnalysis
type ErrorSample = RetryStats.ErrorSample
type TimeWindow = RetryStats.TimeWindow

/**
 * Everything `report` prints, and `--json` prints as is.
 *
 * @internal
 */
export interface FleetReport {
  /** The database read, without its password. */
  readonly database: string
  /** When the report was taken, ISO 8601. */
  readonly generatedAt: string
  /** The task asked for with `--task`, if any. */
  readonly task: string | undefined
  /** The start of `--since`, ISO 8601, if given. */
  readonly since: string | undefined
  /** All tasks together (or the one task of `--task`). */
  readonly fleet: ErrorAnalysis
  /** One analysis per task with anything recorded, most failed attempts first. */
  readonly tasks: ReadonlyArray<ErrorAnalysis>
  /** The most recent failed attempts, redacted by the store, oldest first. */
  readonly recentSamples: ReadonlyArray<ErrorSample>
  /** Every suggestion of every task, most severe first, with its task. */
  readonly suggestions: ReadonlyArray<TaskSuggestion>
  /** `true` when a suggestion is critical: the command then exits with code 2. */
  readonly critical: boolean
}

/**
 * A suggestion and the task it is about.
 *
 * @internal
 */
export interface TaskSuggestion extends RetryStats.Suggestion {
  readonly task: string
}

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const

/**
 * Assembles the report from the analyses. Suggestions come from each task's analysis (the
 * fleet-wide one repeats findings of its tasks, so it is listed only when no task has one).
 *
 * @internal
 */
export const make = (input: {
  readonly database: string
  readonly now: number
  readonly task: string | undefined
  readonly since: number | undefined
  readonly fleet: ErrorAnalysis
  readonly tasks: ReadonlyArray<ErrorAnalysis>
  readonly recentSamples: ReadonlyArray<ErrorSample>
}): FleetReport => {
  const tasks = [...input.tasks].sort((a, b) =>
    b.totalErrors - a.totalErrors || (a.taskName ?? "").localeCompare(b.taskName ?? "")
  )
  const perTask = tasks.flatMap((a) => a.suggestions.map((s) => ({ ...s, task: a.taskName ?? "all tasks" })))
  const fleetOnly = perTask.length === 0 && input.task === undefined
    ? input.fleet.suggestions.map((s) => ({ ...s, task: "all tasks" }))
    : []
  const suggestions = [...perTask, ...fleetOnly].sort((a, b) =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.task.localeCompare(b.task)
  )
  return {
    database: input.database,
    generatedAt: new Date(input.now).toISOString(),
    task: input.task,
    since: input.since === undefined ? undefined : new Date(input.since).toISOString(),
    fleet: input.fleet,
    tasks,
    recentSamples: input.recentSamples,
    suggestions,
    critical: suggestions.some((s) => s.severity === "critical")
  }
}

// -----------------------------------------------------------------------------------------------
// text
// -----------------------------------------------------------------------------------------------

/** Short column names for the six categories, in the fixed order. */
export const categoryLabels: Readonly<Record<ErrorCategory, string>> = {
  network_error: "network",
  api_rate_limit: "rate_limit",
  data_error: "data",
  system_error: "system",
  temporary_error: "temporary",
  permanent_error: "permanent"
}

/**
 * A rate as a percentage with one decimal: `0.8333` → `83.3%`.
 *
 * @internal
 */
export const percent = (x: number): string => `${(Math.round(x * 1000) / 10).toFixed(1)}%`

/**
 * Rows as aligned columns: the first column left-aligned, the others right-aligned.
 *
 * @internal
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>, indent = "  "): Array<string> => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)))
  return rows.map((row) =>
    indent + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd()
  )
}

const time = (millis: number) => new Date(millis).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC")

const windowText = (w: TimeWindow) => `${time(w.from)} → ${time(w.to)}`

const analysisRow = (name: string, a: ErrorAnalysis): Array<string> => [
  name,
  String(a.totalErrors),
  ...Classifier.categories.map((c) => String(a.categoryDistribution[c])),
  String(a.retries),
  String(a.runs),
  String(a.recovered),
  String(a.failedRuns),
  a.recovered + a.failedRuns === 0 ? "-" : percent(a.recoveryRate)
]

/** Outcomes with at least one run somewhere, in the fixed order. */
const usedOutcomes = (analyses: ReadonlyArray<ErrorAnalysis>): Array<RetryOutcome> =>
  IntelligentRetry.outcomes.filter((o) => analyses.some((a) => a.outcomes[o] > 0))

/**
 * The report as text, for a terminal or a log.
 *
 * @internal
 */
export const renderText = (report: FleetReport): string => {
  const lines: Array<string> = []
  const { fleet, tasks } = report
  lines.push(`intelligent-retry report · ${report.database}`)
  lines.push(
    `window: ${windowText(fleet.window)}${report.since === undefined ? "" : " (--since)"}` +
      `${report.task === undefined ? "" : ` · task ${JSON.stringify(report.task)}`}`
  )
  if (fleet.runs === 0 && fleet.totalErrors === 0) {
    lines.push(
      "",
      report.task === undefined
        ? "Nothing recorded in this window: no run, no failed attempt."
        : `Nothing recorded for task ${JSON.stringify(report.task)} in this window (unknown task, or no run yet).`
    )
    return lines.join("\n") + "\n"
  }
  const totalName = report.task === undefined ? "all tasks" : `${report.task} (total)`
  const rows = [
    [
      "task",
      "errors",
      ...Classifier.categories.map((c) => categoryLabels[c]),
      "retries",
      "runs",
      "recovered",
      "failed",
      "recovery"
    ],
    ...tasks.map((a) => analysisRow(a.taskName ?? "all tasks", a))
  ]
  if (report.task === undefined) rows.push(analysisRow(totalName, fleet))
  lines.push("", "Failed attempts by category, retries and runs")
  lines.push(...table(rows))
  lines.push("  recovery = recovered / (recovered + failed runs); interrupted runs are left out")

  const used = usedOutcomes([fleet])
  lines.push("", "Outcomes (runs)")
  lines.push(...table([
    ["task", ...used],
    ...tasks.map((a) => [a.taskName ?? "all tasks", ...used.map((o) => String(a.outcomes[o]))]),
    ...(report.task === undefined ? [[totalName, ...used.map((o) => String(fleet.outcomes[o]))]] : [])
  ]))

  const waits = tasks.filter((a) => a.retries > 0)
  if (waits.length > 0) {
    lines.push("", "Retries by the category retried, and the time spent waiting")
    lines.push(...table([
      ["task", ...Classifier.categories.map((c) => categoryLabels[c]), "waited"],
      ...waits.map((a) => [
        a.taskName ?? "all tasks",
        ...Classifier.categories.map((c) => String(a.retriesByCategory[c])),
        seconds(a.waitMillis)
      ])
    ]))
  }

  lines.push("", "Suggestions")
  if (report.suggestions.length === 0) lines.push("  none: nothing to change")
  for (const s of report.suggestions) {
    lines.push(`  ${s.severity.toUpperCase().padEnd(8)}  ${s.code}  ${s.task}`)
    lines.push(...wrap(s.message, 100).map((line) => `            ${line}`))
  }

  if (report.recentSamples.length > 0) {
    const shown = report.recentSamples.slice(-10)
    lines.push("", `Recent failed attempts (redacted; last ${shown.length} of ${report.recentSamples.length} kept)`)
    for (const s of shown) {
      lines.push(`  ${time(s.time)}  ${s.task}  #${s.attempt}  ${s.category}  ${s.tag}: ${oneLine(s.message)}`)
    }
  }
  lines.push(
    "",
    report.critical
      ? "Critical: at least one suggestion is critical (exit code 2)."
      : "No critical suggestion (exit code 0)."
  )
  return lines.join("\n") + "\n"
}

const seconds = (millis: number) =>
  millis < 1000 ?
    `${Math.round(millis)} ms` :
    millis < 120_000 ?
    `${(millis / 1000).toFixed(1)} s` :
    `${(millis / 60_000).toFixed(1)} min`

/** Words into lines of at most `width` characters (a longer word gets a line of its own). */
const wrap = (text: string, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === "" ? word : `${line} ${word}`
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const oneLine = (s: string) => {
  const flat = s.replace(/\s+/g, " ")
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat
}

/**
 * The report as JSON, for scripts: the {@link FleetReport} itself.
 *
 * @internal
 */
export const renderJson = (report: FleetReport): string => `${JSON.stringify(report, null, 2)}\n`

/**
 * Reads the report: the fleet analysis (or the one task's), one analysis per task, the samples.
 *
 * @internal
 */
export const read = (
  fleet: Fleet,
  now: number,
  task: string | undefined,
  since: number | undefined
): Effect.Effect<FleetReport, CliError> =>
  Effect.gen(function*() {
    const statistics = yield* fleet.statistics(since)
    const names = task === undefined ? Object.keys(statistics.byTask) : task in statistics.byTask ? [task] : []
    const [all, tasks] = yield* Effect.all([
      fleet.analyze(task, since),
      Effect.forEach(names, (name) => fleet.analyze(name, since))
    ])
    return make({
      database: fleet.database,
      now,
      task,
      since,
      fleet: all,
      tasks,
      recentSamples: statistics.recentSamples.filter((s) => task === undefined || s.task === task)
    })
  })
