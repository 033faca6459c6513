/**
 * The fleet in a database written by `SqlRetryStats.layer` (`@intelligent-retry/sql`).
 *
 * **Details**
 *
 * Without `--since`, the analyses and statistics are `SqlRetryStats.analyzeTaskErrors` and
 * `SqlRetryStats.getErrorStatistics` themselves. Two reads have no counterpart in that API, and are
 * made here, through the same `SqlClient`, on the tables `SqlRetryStats` creates (named by its
 * `SqlRetryStatsTables`):
 *
 * - the per-minute rows of the charts (`timeline`), and
 * - counters restricted to the minutes at or after `--since`, folded by
 *   `RetryStats.analysisFromCounters` / `statisticsFromCounters`, so the shapes and the suggestion
 *   rules stay the library's.
 *
 * The command only reads: it never builds `SqlRetryStats.layer`, which would create tables.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import {
  Classifier,
  type ErrorCategory,
  IntelligentRetry,
  type RetryOutcome,
  RetryStats
} from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Database from "./database.js"
import { CliError } from "./errors.js"
import type { DatabaseTarget } from "./flags.js"
import { describeTarget, maskUrl } from "./flags.js"
import type { Fleet, MinuteRow } from "./fleet.js"

const MINUTE = 60_000

/** Recent samples read with `--since`, as `SqlRetryStats.getErrorStatistics` reads 200. */
const SAMPLES = 200

const decode = <A, I>(schema: Schema.Schema<A, I>, rows: ReadonlyArray<unknown>) =>
  Schema.decodeUnknown(Schema.Array(schema))(rows).pipe(Effect.orDie)

const knownOutcomes: ReadonlySet<string> = new Set(IntelligentRetry.outcomes)

/** Rows of both tables from `from` on (every row with `from` undefined), per task, category and minute. */
const rowsFrom = (from: number | undefined) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* SqlRetryStats.SqlRetryStatsTables
    const where = from === undefined ? sql`` : sql`WHERE minute >= ${from}`
    const [minutes, runs] = yield* Effect.all([
      sql`SELECT task, category, minute, failures, retries, wait_ms, recovered_one FROM ${
        sql(tables.minutes)
      } ${where}`,
      sql`SELECT task, category, minute, outcome, runs FROM ${sql(tables.outcomes)} ${where}`
    ])
    return {
      minutes: yield* decode(SqlRetryStats.MinuteRow, minutes),
      outcomes: (yield* decode(SqlRetryStats.OutcomeRow, runs)).filter((r) => knownOutcomes.has(r.outcome))
    }
  })

type Rows = Effect.Effect.Success<ReturnType<typeof rowsFrom>>

/** Counters per task and category, for `RetryStats.analysisFromCounters`. */
const countersOf = (rows: Rows, task: string | undefined): Array<RetryStats.CategoryCounters> =>
  task === undefined
    ? SqlRetryStats.countersFromRows(rows.minutes, rows.outcomes)
    : SqlRetryStats.countersFromRows(
      rows.minutes.filter((r) => r.task === task),
      rows.outcomes.filter((r) => r.task === task)
    )

const samplesFrom = (from: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* SqlRetryStats.SqlRetryStatsTables
    const rows = yield* sql`SELECT time, task, category, tag, message, attempt FROM ${sql(tables.samples)}
WHERE time >= ${from} ORDER BY time DESC LIMIT ${SAMPLES}`
    return (yield* decode(SqlRetryStats.SampleRow, rows)).map((s) => ({ ...s })).reverse()
  })

/** The start of the minute `since` falls in: what per-minute rows can answer for. */
const minuteOf = (millis: number) => Math.floor(millis / MINUTE) * MINUTE

/**
 * Opens the database for the life of the scope and returns its reads.
 *
 * @internal
 */
export const open = (target: DatabaseTarget): Effect.Effect<Fleet, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Database.layer(target))
    const database = describeTarget(target)
    const read = <A>(effect: Effect.Effect<A, SqlError, SqlClient.SqlClient>): Effect.Effect<A, CliError> =>
      effect.pipe(
        Effect.provide(context),
        Effect.mapError((error) => cannotRead(database, error))
      )
    const fleet: Fleet = {
      database,
      statistics: (since) =>
        since === undefined ? read(SqlRetryStats.getErrorStatistics) : read(Effect.gen(function*() {
          const from = minuteOf(since)
          const [rows, samples, now] = yield* Effect.all([rowsFrom(from), samplesFrom(from), Clock.currentTimeMillis])
          return RetryStats.statisticsFromCounters(countersOf(rows, undefined), samples, { from, to: now })
        })),
      analyze: (task, since) =>
        since === undefined ? read(SqlRetryStats.analyzeTaskErrors(task)) : read(Effect.gen(function*() {
          const from = minuteOf(since)
          const [rows, now] = yield* Effect.all([rowsFrom(from), Clock.currentTimeMillis])
          const name = task === undefined ? undefined : RetryStats.storedTaskName(task)
          return RetryStats.analysisFromCounters(task, countersOf(rows, name), { from, to: now })
        })),
      errorsInWindow: (window, task) => read(SqlRetryStats.errorsInWindow(window, task)),
      samples: (since) => read(samplesFrom(since)),
      timeline: (from) => read(Effect.map(rowsFrom(minuteOf(from)), (rows) => timelineOf(rows)))
    }
    // Fail now, with a clear message, if the database holds no statistics tables.
    yield* read(rowsFrom(Number.MAX_SAFE_INTEGER))
    return fleet
  })

/** Per-minute rows for the charts, one per task and minute, oldest first. */
const timelineOf = (rows: Rows): Array<MinuteRow> => {
  const byKey = new Map<string, {
    task: string
    minute: number
    failures: Record<ErrorCategory, number>
    outcomes: Record<RetryOutcome, number>
  }>()
  const get = (task: string, minute: number) => {
    const key = `${minute}\u0000${task}`
    let row = byKey.get(key)
    if (row === undefined) {
      row = {
        task,
        minute,
        failures: Object.fromEntries(Classifier.categories.map((c) => [c, 0])) as Record<ErrorCategory, number>,
        outcomes: Object.fromEntries(IntelligentRetry.outcomes.map((o) => [o, 0])) as Record<RetryOutcome, number>
      }
      byKey.set(key, row)
    }
    return row
  }
  for (const r of rows.minutes) {
    if (r.category !== "none") get(r.task, r.minute).failures[r.category] += r.failures
  }
  for (const r of rows.outcomes) get(r.task, r.minute).outcomes[r.outcome as RetryOutcome] += r.runs
  return [...byKey.values()].sort((a, b) => a.minute - b.minute || a.task.localeCompare(b.task))
}

const cannotRead = (database: string, error: SqlError): CliError => {
  const text = [error.message, error.cause instanceof Error ? error.cause.message : String(error.cause ?? "")]
    .filter((s) => s !== "")
    .join(": ")
  const missing = /no such table|does not exist/i.test(text)
  return new CliError({
    message: missing
      ? `${database} holds no intelligent-retry statistics: no worker has written to it with SqlRetryStats.layer ` +
        `(${maskUrl(text)})`
      : `Cannot read the statistics from ${database}: ${maskUrl(text)}`,
    exitCode: 1
  })
}
