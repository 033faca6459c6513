/**
 * Retry statistics that outlive the process and span the fleet: every process keeps its own
 * in-memory `RetryStats` store, and hands each closed per-minute aggregate (and its redacted
 * samples) to a database through @effect/sql. Fleet-wide reads (`analyzeTaskErrors`,
 * `getErrorStatistics`, `errorsInWindow`) answer over everything every process has flushed, with
 * the same shapes and the same suggestion rules as the in-memory ones.
 *
 * **Details**
 *
 * - Tables are created through @effect/sql's `Migrator`, with their own migrations table.
 * - Writes happen on the store's delivery fiber, never on a retry's path: at each minute boundary,
 *   on `RetryStats.flush` and when the layer is released. A batch is one transaction of
 *   `INSERT … ON CONFLICT DO UPDATE` statements (1,000 rows each), pre-aggregated so that no key
 *   repeats within a statement; the same SQL runs on SQLite and PostgreSQL.
 * - A database that is down or slow never slows or fails a retry: a failed write is logged,
 *   counted (`RetryStats.metrics.sinkWrites`), kept, and written again with backoff; past
 *   `maxPending` (default 100,000) entries, new ones are dropped and counted exactly
 *   (`RetryStats.deliveryStatus`, `RetryStats.metrics.sinkDropped`).
 * - The database's bucket is one minute; the local store's `bucketWidth` is fixed to it.
 *
 * @example
 * ```ts
 *  * import { Effect, Layer } from "effect"
 * import { RetryStats } from "@intelligent-retry/core"
 * import { SqlRetryStats } from "@intelligent-retry/sql"
 *
 * const Stats = SqlRetryStats.layer().pipe(
 *   Layer.provideMerge(LibsqlClient.layer({ url: "file:retry-stats.db" }))
 * )
 *
 * const fleetReport = Effect.gen(function*() {
 *   yield* RetryStats.flush // publish this process's open minute
 *   const analysis = yield* SqlRetryStats.analyzeTaskErrors("update_tracking_info")
 *   yield* Effect.log(`fleet-wide errors: ${analysis.totalErrors}`)
 * }).pipe(Effect.provide(Stats))
 * ```
 *
 * @since 0.1.0
 */
import type { MigrationError } from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import {
  type ErrorCategory,
  type InvalidPolicyError,
  RetryMonitor,
  RetryPolicy,
  RetryStats
} from "@intelligent-retry/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as internal from "./internal/sqlStats.js"

/**
 * The names of the tables (and of the migrations table) of one prefix.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tables {
  readonly minutes: string
  readonly outcomes: string
  readonly samples: string
  readonly totals: string
  readonly outcomeTotals: string
  readonly batches: string
  readonly migrations: string
}

/**
 * Options of {@link layer}: the local store's options (but `bucketWidth`, which is one minute),
 * its delivery options, and where the tables are.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<RetryStats.StoreOptions, "bucketWidth">, RetryStats.DeliveryOptions {
  /**
   * Prefix of the table names: `<prefix>minutes`, `<prefix>outcomes`, `<prefix>samples`,
   * `<prefix>migrations`. Letters, digits and `_`. Default: `"intelligent_retry_"`.
   */
  readonly tablePrefix?: string | undefined
}

/**
 * Where the fleet-wide reads look: the tables of the current prefix. A `Context.Reference`
 * whose default is the default prefix; {@link layer} provides the one it was given.
 *
 * @since 0.1.0
 * @category tags
 */
export class SqlRetryStatsTables extends Context.Reference<SqlRetryStatsTables>()(
  "@intelligent-retry/sql/SqlRetryStatsTables",
  { defaultValue: (): Tables => internal.tablesOf(internal.DEFAULT_PREFIX) }
) {}

/**
 * The default table prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PREFIX: "intelligent_retry_" = internal.DEFAULT_PREFIX

/**
 * Rows deleted per statement by {@link cleanupOldErrors}.
 *
 * @since 0.1.0
 * @category constants
 */
export const CLEANUP_BATCH: number = internal.CLEANUP_BATCH

const discard: RetryStats.RetryStatsSink = { write: () => Effect.void }

/**
 * Provides `RetryStats` (a memory store whose closed minutes flow to the database), the
 * `SqlClient` it was given (so the fleet-wide reads work under the same layer) and the tables
 * for those reads. Creates the tables first, through @effect/sql's `Migrator`. Releasing the
 * layer flushes.
 *
 * **Details**
 *
 * The local reads (`RetryStats.analyzeTaskErrors`) answer for this process; the reads of this
 * module answer for the fleet, over what every process has flushed. The layer also provides
 * `RetryMonitor.Source` reading the database, so `RetryMonitor.check` and `run` count the
 * failures of the whole fleet. An invalid option (or an unknown one) fails the layer with an
 * `InvalidPolicyError` naming the field and the value, before the database is touched.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<
  RetryStats.RetryStats | SqlClient.SqlClient | SqlRetryStatsTables | RetryMonitor.Source,
  SqlError | MigrationError | InvalidPolicyError,
  SqlClient.SqlClient
> =>
  Layer.scopedContext(Effect.gen(function*() {
    const { rest, tables } = yield* internal.validateOptions(options, "SqlRetryStats.layer")
    const sql = yield* SqlClient.SqlClient
    const sink: RetryStats.RetryStatsSink = {
      write: (batch) => Effect.provideService(internal.write(tables, batch), SqlClient.SqlClient, sql)
    }
    // the store's options are checked before the database is touched (a store made and released
    // at once, on a sink that writes nothing); the real store is made once the tables exist
    yield* Effect.scoped(RetryStats.makeWithSink(discard, rest))
    yield* internal.migrate(tables)
    const store = yield* RetryStats.makeWithSink(sink, rest)
    const source: RetryMonitor.SourceService = {
      errorsInWindow: (window, taskName) =>
        Effect.provideService(
          internal.windowCounts(tables, Duration.toMillis(Duration.decode(window)), taskName),
          SqlClient.SqlClient,
          sql
        ),
      recentSamples: (since) => Effect.provideService(internal.samples(tables, 200, since), SqlClient.SqlClient, sql)
    }
    return Context.make(RetryStats.RetryStats, store).pipe(
      Context.add(SqlClient.SqlClient, sql),
      Context.add(SqlRetryStatsTables, tables),
      Context.add(RetryMonitor.Source, source)
    )
  }))

/**
 * {@link layer} on an SQLite file, through `@effect/sql-libsql` (whose SQLite ships as prebuilt
 * npm packages: nothing to compile): the embedded default, no server. The file is put in WAL mode,
 * so fleet-wide reads do not block writers; processes on one machine may share the file.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryStats } from "@intelligent-retry/core"
 * import { SqlRetryStats } from "@intelligent-retry/sql"
 *
 * const program = Effect.gen(function*() {
 *   yield* RetryStats.flush
 *   return yield* SqlRetryStats.analyzeTaskErrors()
 * }).pipe(Effect.provide(SqlRetryStats.layerSqlite({ filename: "retry-stats.db" })))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (
  options: Options & { readonly filename: string }
): Layer.Layer<
  RetryStats.RetryStats | SqlClient.SqlClient | SqlRetryStatsTables | RetryMonitor.Source,
  SqlError | MigrationError | InvalidPolicyError
> => {
  const checked = internal.validateFilename(options)
  if (Either.isLeft(checked)) return Layer.fail(checked.left)
  const { filename, rest } = checked.right
  const wal = Layer.effectDiscard(
    Effect.flatMap(SqlClient.SqlClient, (sql) => internal.retryBusy(sql`PRAGMA journal_mode = WAL`))
  )
  const client = internal.sqliteClient(pathToFileURL(path.resolve(filename)).href)
  return layer(rest).pipe(Layer.provide(wal), Layer.provide(client))
}

/**
 * The fleet-wide analysis of one task (or of all): {@link RetryStats.analyzeTaskErrors}'s shape and
 * suggestion rules over every row in the database. The window starts at the earliest minute held.
 *
 * @since 0.1.0
 * @category accessors
 */
export const analyzeTaskErrors = (
  taskName?: string
): Effect.Effect<RetryStats.ErrorAnalysis, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlRetryStatsTables, (tables) => internal.analyze(tables, taskName))

/**
 * The fleet-wide statistics: {@link RetryStats.getErrorStatistics}'s shape over every row in the
 * database, with the 200 most recent samples.
 *
 * @since 0.1.0
 * @category accessors
 */
export const getErrorStatistics: Effect.Effect<RetryStats.ErrorStatistics, SqlError, SqlClient.SqlClient> = Effect
  .flatMap(SqlRetryStatsTables, (tables) => internal.statistics(tables, 200))

/**
 * A row of the per-minute failures table (or a sum of such rows), as read with the tables of
 * {@link SqlRetryStatsTables}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MinuteRowCounts {
  readonly task: string
  readonly category: ErrorCategory | "none"
  readonly failures: number
  readonly retries: number
  /** Total wait before the retries, in milliseconds. */
  readonly wait_ms: number
  /** Runs recovered after exactly one retry. */
  readonly recovered_one: number
}

/**
 * A row of the per-minute outcomes table (or a sum of such rows).
 *
 * @since 0.1.0
 * @category models
 */
export interface OutcomeRowCounts {
  readonly task: string
  readonly category: ErrorCategory | "none"
  /** A `RetryOutcome`, or one written by another version of the library. */
  readonly outcome: string
  readonly runs: number
}

/**
 * The schema of a row of the per-minute failures table as selected with all its columns; decodes
 * PostgreSQL's BIGINT strings and SQLite's numbers alike.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MinuteRow = internal.MinuteRow

/**
 * The schema of a row of the per-minute outcomes table as selected with all its columns.
 *
 * @since 0.1.0
 * @category schemas
 */
export const OutcomeRow = internal.OutcomeRow

/**
 * The schema of a row of the samples table (redacted messages).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SampleRow = internal.SampleRow

/**
 * Folds rows of the statistics tables into counters per task and category, the input of
 * `RetryStats.analysisFromCounters` and `RetryStats.statisticsFromCounters`: for a reader that
 * selects rows of its own (a time range, a task) and wants the library's shapes and suggestion
 * rules. An outcome this version does not know is skipped.
 *
 * @since 0.1.0
 * @category getters
 */
export const countersFromRows: (
  minutes: Iterable<MinuteRowCounts>,
  outcomes: Iterable<OutcomeRowCounts>
) => Array<RetryStats.CategoryCounters> = internal.countersFromRows

/**
 * Fleet-wide failed attempts in the minute holding now and the minutes before it that `window`
 * spans. A `window` that is not a positive, finite duration makes the effect die with an
 * `InvalidPolicyError` naming it, as {@link RetryStats.errorsInWindow} does.
 *
 * @since 0.1.0
 * @category accessors
 */
export const errorsInWindow = (
  window: Duration.DurationInput,
  taskName?: string
): Effect.Effect<RetryStats.WindowErrorCounts, SqlError, SqlClient.SqlClient> => {
  const checked = RetryPolicy.decodeDuration("window", window, { zero: false, infinite: false })
  return Either.isLeft(checked)
    ? Effect.die(checked.left)
    : Effect.flatMap(
      SqlRetryStatsTables,
      (tables) => internal.windowCounts(tables, Duration.toMillis(checked.right), taskName)
    )
}

/**
 * Deletes the rows of minutes that ended at or before now − `olderThan` (now from `Clock`), in
 * batches of {@link CLEANUP_BATCH} rows, each its own statement, so a large cleanup never holds a
 * long lock; returns the failed attempts deleted. Samples older than the cutoff go too. A
 * negative or NaN `olderThan` makes the effect die with an `InvalidPolicyError` naming it.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cleanupOldErrors = (
  olderThan: Duration.DurationInput
): Effect.Effect<number, SqlError, SqlClient.SqlClient> => {
  const checked = RetryPolicy.decodeDuration("olderThan", olderThan)
  return Either.isLeft(checked)
    ? Effect.die(checked.left)
    : Effect.flatMap(
      SqlRetryStatsTables,
      (tables) => internal.cleanup(tables, Duration.toMillis(checked.right), internal.CLEANUP_BATCH)
    )
}
