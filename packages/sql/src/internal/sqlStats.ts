/**
 * The SQL side of `SqlRetryStats`: migrations, the sink (batched, pre-aggregated upserts), the
 * fleet-wide reads and the bounded cleanup. One SQL text for SQLite and PostgreSQL.
 *
 * @internal
 */
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import type { InvalidPolicyError } from "@intelligent-retry/core"
import {
  Classifier,
  type ErrorCategory,
  IntelligentRetry,
  type RetryOutcome,
  RetryPolicy,
  RetryStats
} from "@intelligent-retry/core"
import * as Libsql from "@libsql/client"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { MinuteRowCounts, Options, OutcomeRowCounts, Tables } from "../SqlRetryStats.js"

/** The width of a bucket in the database: one minute, whatever the process. @internal */
export const MINUTE = 60_000

/** The default table prefix. @internal */
export const DEFAULT_PREFIX = "intelligent_retry_"

/** Rows deleted per statement by the cleanup. @internal */
export const CLEANUP_BATCH = 10_000

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/

/** The keys of `SqlRetryStats.Options`: the store's (but `bucketWidth`), delivery's, `tablePrefix`. */
const optionKeys: ReadonlySet<keyof Options> = new Set<keyof Options>([
  "sampleSize",
  "maxTasks",
  "maxMetricTasks",
  "retention",
  "metrics",
  "maxPending",
  "batchSize",
  "retryBase",
  "retryMax",
  "writeTimeout",
  "tablePrefix"
])

/**
 * Checks what the sql package owns in its options (the table prefix; no `bucketWidth`; no unknown
 * key), leaving the store's and delivery's values to `RetryStats.makeWithSink`.
 *
 * @internal
 */
export const validateOptions = (
  options: Options | undefined,
  what: string
): Either.Either<{ readonly tables: Tables; readonly rest: Omit<Options, "tablePrefix"> }, InvalidPolicyError> => {
  if (options === undefined) return Either.right({ tables: tablesOf(DEFAULT_PREFIX), rest: {} })
  if (typeof options !== "object" || options === null) {
    return Either.left(
      RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
    )
  }
  if ("bucketWidth" in options) {
    const value = (options as { readonly bucketWidth?: unknown }).bucketWidth
    return Either.left(
      RetryPolicy.invalid(
        "bucketWidth",
        value,
        `cannot be set: the database keeps one-minute buckets, got ${RetryPolicy.describe(value)}`
      )
    )
  }
  const unknown = RetryPolicy.unknownOption(options, optionKeys, what)
  if (unknown !== undefined) return Either.left(unknown)
  const { tablePrefix, ...rest } = options
  const prefix = tablePrefix ?? DEFAULT_PREFIX
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    return Either.left(
      RetryPolicy.invalid(
        "tablePrefix",
        prefix,
        `must be letters, digits and _ (at most 41, not starting with a digit), got ${RetryPolicy.describe(prefix)}`
      )
    )
  }
  return Either.right({ tables: tablesOf(prefix), rest })
}

/**
 * Checks the options of `layerSqlite`: a non-empty `filename`, and the rest as `validateOptions`.
 *
 * @internal
 */
export const validateFilename = (
  options: Options & { readonly filename: string }
): Either.Either<{ readonly filename: string; readonly rest: Options }, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(
      RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
    )
  }
  const { filename, ...rest } = options
  if (typeof filename !== "string" || filename.length === 0) {
    return Either.left(
      RetryPolicy.invalid("filename", filename, `must be a non-empty string, got ${RetryPolicy.describe(filename)}`)
    )
  }
  return Either.right({ filename, rest })
}

/** @internal */
export const tablesOf = (prefix: string): Tables => ({
  minutes: `${prefix}minutes`,
  outcomes: `${prefix}outcomes`,
  samples: `${prefix}samples`,
  totals: `${prefix}totals`,
  outcomeTotals: `${prefix}outcome_totals`,
  batches: `${prefix}batches`,
  migrations: `${prefix}migrations`
})

// -----------------------------------------------------------------------------
// migrations
// -----------------------------------------------------------------------------

const createTables = (t: Tables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.minutes)} (
  task TEXT NOT NULL,
  category TEXT NOT NULL,
  minute BIGINT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  retries BIGINT NOT NULL DEFAULT 0,
  wait_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
  recovered_one BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (task, category, minute)
)`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${t.minutes}_by_minute`)} ON ${sql(t.minutes)} (minute)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.outcomes)} (
  task TEXT NOT NULL,
  category TEXT NOT NULL,
  minute BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  runs BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (task, category, minute, outcome)
)`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${t.outcomes}_by_minute`)} ON ${sql(t.outcomes)} (minute)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.samples)} (
  time BIGINT NOT NULL,
  task TEXT NOT NULL,
  category TEXT NOT NULL,
  tag TEXT NOT NULL,
  message TEXT NOT NULL,
  attempt INTEGER NOT NULL
)`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${t.samples}_by_time`)} ON ${sql(t.samples)} (time)`
    // running totals of what the minute tables hold, kept in the same transactions: analysis
    // reads one row per task and category, whatever the number of minutes
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.totals)} (
  task TEXT NOT NULL,
  category TEXT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  retries BIGINT NOT NULL DEFAULT 0,
  wait_ms DOUBLE PRECISION NOT NULL DEFAULT 0,
  recovered_one BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (task, category)
)`
    // the batches applied, so that a batch sent twice (a write that timed out, then committed) counts once
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.batches)} (
  id TEXT NOT NULL PRIMARY KEY,
  written_at BIGINT NOT NULL
)`
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${t.batches}_by_time`)} ON ${sql(t.batches)} (written_at)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(t.outcomeTotals)} (
  task TEXT NOT NULL,
  category TEXT NOT NULL,
  outcome TEXT NOT NULL,
  runs BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (task, category, outcome)
)`
  })

/**
 * On SQLite, sets the busy timeout of the connection the next transaction will take to zero, so a
 * writer meeting another connection's write lock fails at once with `SQLITE_BUSY`, and
 * {@link retryBusy} waits on Effect's clock. libsql runs statements synchronously on the event
 * loop: a busy timeout of n ms inside the driver would stall every fiber of the process, retries
 * included, for up to n ms per statement while another process holds the file. libsql opens a new
 * connection after each transaction, so this is set before each one.
 *
 * @internal
 */
export const busyTimeout: Effect.Effect<void, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql.onDialectOrElse({
      sqlite: () => Effect.asVoid(sql`PRAGMA busy_timeout = 0`),
      orElse: () => Effect.void
    })
)

/**
 * The libsql client of `layerSqlite`, on the file at `url`, whose transactions begin DEFERRED.
 * @effect/sql-libsql begins every transaction with `BEGIN IMMEDIATE`, and when that statement
 * fails (`SQLITE_BUSY`: another connection holds the write lock) the client keeps the permit of
 * its one-connection semaphore: every later statement of the process waits for it forever, and
 * statistics stop being written for good. A deferred transaction begins without a lock; its first
 * write meets the lock instead, and fails inside the transaction, which is rolled back and gives
 * the permit back, so {@link retryBusy} and the delivery's backoff can try again.
 *
 * @internal
 */
export const sqliteClient = (url: string): Layer.Layer<LibsqlClient.LibsqlClient | SqlClient.SqlClient> =>
  Layer.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(Effect.sync(() => Libsql.createClient({ url })), (sdk) => Effect.sync(() => sdk.close())),
      (sdk) => LibsqlClient.layer({ liveClient: deferred(sdk) })
    )
  )

const deferred = (sdk: Libsql.Client): Libsql.Client =>
  new Proxy(sdk, {
    get: (target, key) => {
      if (key === "transaction") return () => target.transaction("deferred")
      const value: unknown = Reflect.get(target, key, target)
      // the client keeps its state in private fields: its methods must run on the client itself
      return typeof value === "function" ? value.bind(target) : value
    }
  })

/**
 * Creates the tables through @effect/sql's `Migrator` (its own migrations table, so an
 * application's migrations are not touched). Processes starting together may race for the
 * migrations table: a lost race is retried.
 *
 * @internal
 */
export const migrate = (t: Tables): Effect.Effect<void, SqlError | Migrator.MigrationError, SqlClient.SqlClient> =>
  Effect.zipRight(
    busyTimeout,
    Migrator.make({})({
      loader: Migrator.fromRecord({ "1_create_tables": createTables(t) }),
      table: t.migrations
    })
  ).pipe(
    Effect.retry(Schedule.intersect(Schedule.recurs(10), Schedule.jittered(Schedule.spaced("100 millis")))),
    Effect.asVoid
  )

// -----------------------------------------------------------------------------
// writing
// -----------------------------------------------------------------------------

/** Rows per statement: 1,000 rows × 7 columns stays under SQLite's parameter limit. @internal */
export const ROWS_PER_STATEMENT = 1_000

type MinuteRow = {
  task: string
  category: string
  minute: number
  failures: number
  retries: number
  wait_ms: number
  recovered_one: number
}

type OutcomeRow = {
  task: string
  category: string
  minute: number
  outcome: string
  runs: number
}

type Counts = Pick<MinuteRow, "failures" | "retries" | "wait_ms" | "recovered_one">

/** Adds `row` into the row of `key`; a fresh `row` becomes that row when there is none yet. */
const addCounts = <R extends Counts>(rows: Map<string, R>, key: string, row: R): void => {
  const known = rows.get(key)
  if (known === undefined) {
    rows.set(key, row)
    return
  }
  known.failures += row.failures
  known.retries += row.retries
  known.wait_ms += row.wait_ms
  known.recovered_one += row.recovered_one
}

/** Adds `row`'s runs into the row of `key`; a fresh `row` becomes that row when there is none yet. */
const addRuns = <R extends { runs: number }>(rows: Map<string, R>, key: string, row: R): void => {
  const known = rows.get(key)
  if (known === undefined) rows.set(key, row)
  else known.runs += row.runs
}

const chunks = <A>(rows: ReadonlyArray<A>, n: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += n) out.push(rows.slice(i, i + n))
  return out
}

/**
 * Pre-aggregates a batch: PostgreSQL refuses a key twice in one `INSERT … ON CONFLICT`, and a
 * batch may hold two deltas of one minute (a flush, then more records in that minute).
 *
 * @internal
 */
export const preAggregate = (
  aggregates: ReadonlyArray<RetryStats.MinuteAggregate>
): { readonly minutes: Array<MinuteRow>; readonly outcomes: Array<OutcomeRow> } => {
  const minutes = new Map<string, MinuteRow>()
  const outcomeRows = new Map<string, OutcomeRow>()
  for (const a of aggregates) {
    if (a.failures !== 0 || a.retries !== 0 || a.waitMillis !== 0 || a.recoveredAfterOneRetry !== 0) {
      addCounts(minutes, `${a.minute}\u0000${a.category}\u0000${a.task}`, {
        task: a.task,
        category: a.category,
        minute: a.minute,
        failures: a.failures,
        retries: a.retries,
        wait_ms: a.waitMillis,
        recovered_one: a.recoveredAfterOneRetry
      })
    }
    for (const outcome in a.outcomes) {
      const runs = (a.outcomes as Record<string, number | undefined>)[outcome]
      if (typeof runs !== "number" || runs === 0) continue
      addRuns(outcomeRows, `${a.minute}\u0000${a.category}\u0000${outcome}\u0000${a.task}`, {
        task: a.task,
        category: a.category,
        minute: a.minute,
        outcome,
        runs
      })
    }
  }
  return { minutes: [...minutes.values()], outcomes: [...outcomeRows.values()] }
}

/**
 * Adds minute rows (negative ones to subtract) to the running totals, pre-aggregated by task and
 * category. Runs inside the caller's transaction.
 *
 * @internal
 */
export const addTotals = (
  t: Tables,
  minutes: ReadonlyArray<Omit<MinuteRow, "minute">>,
  outcomeRows: ReadonlyArray<Omit<OutcomeRow, "minute">>
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const totals = new Map<string, Omit<MinuteRow, "minute">>()
    for (const r of minutes) {
      addCounts(totals, `${r.category}\u0000${r.task}`, {
        task: r.task,
        category: r.category,
        failures: r.failures,
        retries: r.retries,
        wait_ms: r.wait_ms,
        recovered_one: r.recovered_one
      })
    }
    const runs = new Map<string, Omit<OutcomeRow, "minute">>()
    for (const r of outcomeRows) {
      addRuns(runs, `${r.category}\u0000${r.outcome}\u0000${r.task}`, {
        task: r.task,
        category: r.category,
        outcome: r.outcome,
        runs: r.runs
      })
    }
    const tt = sql(t.totals)
    const ot = sql(t.outcomeTotals)
    for (const rows of chunks([...totals.values()], ROWS_PER_STATEMENT)) {
      yield* sql`INSERT INTO ${tt} ${sql.insert(rows)}
ON CONFLICT (task, category) DO UPDATE SET
  failures = ${tt}.failures + excluded.failures,
  retries = ${tt}.retries + excluded.retries,
  wait_ms = ${tt}.wait_ms + excluded.wait_ms,
  recovered_one = ${tt}.recovered_one + excluded.recovered_one`
    }
    for (const rows of chunks([...runs.values()], ROWS_PER_STATEMENT)) {
      yield* sql`INSERT INTO ${ot} ${sql.insert(rows)}
ON CONFLICT (task, category, outcome) DO UPDATE SET runs = ${ot}.runs + excluded.runs`
    }
  })

/**
 * SQLite answers `SQLITE_BUSY` at once when another connection holds the write lock (see
 * {@link busyTimeout}): such a write is tried again a few times, briefly, sleeping between tries.
 *
 * @internal
 */
export const isBusy = (error: unknown): boolean => {
  try {
    const text = `${(error as { message?: unknown }).message ?? ""} ${String((error as { cause?: unknown }).cause)}`
    return text.includes("SQLITE_BUSY") || text.includes("database is locked")
  } catch {
    return false
  }
}

/**
 * Up to about 5 s of retries on a busy SQLite file (the wait libsql's usual busy timeout would
 * have blocked the event loop for), with jitter so processes do not collide again. @internal
 */
export const retryBusy = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.retry(effect, {
    while: isBusy,
    schedule: Schedule.intersect(Schedule.jittered(Schedule.spaced("25 millis")), Schedule.recurs(200))
  })

/**
 * Writes one batch in one transaction: pre-aggregated upserts of minutes and outcomes, and the
 * samples.
 *
 * @internal
 */
export const write = (
  t: Tables,
  batch: RetryStats.SinkBatch
): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const { minutes, outcomes: outcomeRows } = preAggregate(batch.aggregates)
    const m = sql(t.minutes)
    const o = sql(t.outcomes)
    const now = yield* Clock.currentTimeMillis
    yield* retryBusy(Effect.zipRight(
      busyTimeout,
      sql.withTransaction(Effect.gen(function*() {
        const fresh = yield* sql`INSERT INTO ${sql(t.batches)} ${sql.insert({ id: batch.id, written_at: now })}
ON CONFLICT (id) DO NOTHING RETURNING id`
        // applied already: its first write committed after the writer stopped waiting
        if (fresh.length === 0) return
        for (const rows of chunks(minutes, ROWS_PER_STATEMENT)) {
          yield* sql`INSERT INTO ${m} ${sql.insert(rows)}
ON CONFLICT (task, category, minute) DO UPDATE SET
  failures = ${m}.failures + excluded.failures,
  retries = ${m}.retries + excluded.retries,
  wait_ms = ${m}.wait_ms + excluded.wait_ms,
  recovered_one = ${m}.recovered_one + excluded.recovered_one`
        }
        for (const rows of chunks(outcomeRows, ROWS_PER_STATEMENT)) {
          yield* sql`INSERT INTO ${o} ${sql.insert(rows)}
ON CONFLICT (task, category, minute, outcome) DO UPDATE SET runs = ${o}.runs + excluded.runs`
        }
        yield* addTotals(t, minutes, outcomeRows)
        for (const rows of chunks(batch.samples, ROWS_PER_STATEMENT)) {
          yield* sql`INSERT INTO ${sql(t.samples)} ${
            sql.insert(rows.map((s) => ({
              time: s.time,
              task: s.task,
              category: s.category,
              tag: s.tag,
              message: s.message,
              attempt: s.attempt
            })))
          }`
        }
      }))
    ))
  })

// -----------------------------------------------------------------------------
// reading
// -----------------------------------------------------------------------------

/** PostgreSQL returns BIGINT (and sums over it) as strings; SQLite returns numbers. */
const Num = Schema.Union(Schema.Number, Schema.NumberFromString)
const Category = Schema.Literal(...Classifier.categories, "none")

/** @internal */
export const MinuteRow = Schema.Struct({
  task: Schema.String,
  category: Category,
  minute: Num,
  failures: Num,
  retries: Num,
  wait_ms: Num,
  recovered_one: Num
})

/** @internal */
export const OutcomeRow = Schema.Struct({
  task: Schema.String,
  category: Category,
  minute: Num,
  outcome: Schema.String,
  runs: Num
})

/** @internal */
export const SampleRow = Schema.Struct({
  time: Num,
  task: Schema.String,
  category: Schema.Literal(...Classifier.categories),
  tag: Schema.String,
  message: Schema.String,
  attempt: Num
})

const MinuteSums = MinuteRow.pipe(Schema.omit("minute"))
const OutcomeSums = OutcomeRow.pipe(Schema.omit("minute"))
const First = Schema.Struct({ first: Schema.NullOr(Num) })

const decode = <A, I>(schema: Schema.Schema<A, I>, rows: ReadonlyArray<unknown>, what: string) =>
  Schema.decodeUnknown(Schema.Array(schema))(rows).pipe(
    Effect.mapError((e) =>
      new Error(`SqlRetryStats: unexpected ${what} rows: ${ParseResult.TreeFormatter.formatErrorSync(e)}`)
    ),
    Effect.orDie
  )

const knownOutcomes: ReadonlySet<string> = new Set(IntelligentRetry.outcomes)

/**
 * Counters per task and category over everything held (one task when `task` is given).
 *
 * @internal
 */
export const counters = (
  t: Tables,
  task: string | undefined,
  byTask: boolean
): Effect.Effect<Array<RetryStats.CategoryCounters>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const where = task === undefined ? sql`` : sql`WHERE task = ${task}`
    // for one answer over all tasks, the database sums: a few rows come back, not one per task
    const [minuteRows, outcomeRows] = yield* Effect.all(
      byTask
        ? [
          sql`SELECT task, category, failures, retries, wait_ms, recovered_one FROM ${sql(t.totals)} ${where}`,
          sql`SELECT task, category, outcome, runs FROM ${sql(t.outcomeTotals)} ${where}`
        ]
        : [
          sql`SELECT '' AS task, category, SUM(failures) AS failures, SUM(retries) AS retries,
  SUM(wait_ms) AS wait_ms, SUM(recovered_one) AS recovered_one FROM ${sql(t.totals)} ${where} GROUP BY category`,
          sql`SELECT '' AS task, category, outcome, SUM(runs) AS runs FROM ${sql(t.outcomeTotals)} ${where}
GROUP BY category, outcome`
        ],
      { concurrency: "unbounded" }
    )
    return countersFromRows(
      yield* decode(MinuteSums, minuteRows, "minute"),
      yield* decode(OutcomeSums, outcomeRows, "outcome")
    )
  })

/**
 * Folds rows into counters per task and category, for `RetryStats.analysisFromCounters` and
 * `statisticsFromCounters`. An outcome written by a newer version of the library is kept in the
 * table, not counted. @internal
 */
export const countersFromRows = (
  minutes: Iterable<MinuteRowCounts>,
  outcomeRows: Iterable<OutcomeRowCounts>
): Array<RetryStats.CategoryCounters> => {
  const byKey = new Map<string, {
    task: string
    category: ErrorCategory | "none"
    failures: number
    retries: number
    waitMillis: number
    recoveredAfterOneRetry: number
    outcomes: Partial<Record<RetryOutcome, number>>
  }>()
  const get = (task: string, category: ErrorCategory | "none") => {
    const k = `${category}\u0000${task}`
    let c = byKey.get(k)
    if (c === undefined) {
      c = { task, category, failures: 0, retries: 0, waitMillis: 0, recoveredAfterOneRetry: 0, outcomes: {} }
      byKey.set(k, c)
    }
    return c
  }
  for (const r of minutes) {
    const c = get(r.task, r.category)
    c.failures += r.failures
    c.retries += r.retries
    c.waitMillis += r.wait_ms
    c.recoveredAfterOneRetry += r.recovered_one
  }
  for (const r of outcomeRows) {
    if (!knownOutcomes.has(r.outcome)) continue
    const c = get(r.task, r.category)
    const outcome = r.outcome as RetryOutcome
    c.outcomes[outcome] = (c.outcomes[outcome] ?? 0) + r.runs
  }
  return [...byKey.values()]
}

/** The start of the earliest bucket held, or `undefined`. @internal */
export const earliest = (
  t: Tables,
  task: string | undefined
): Effect.Effect<number | undefined, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const where = task === undefined ? sql`` : sql`WHERE task = ${task}`
    const [a, b] = yield* Effect.all([
      sql`SELECT MIN(minute) AS first FROM ${sql(t.minutes)} ${where}`,
      sql`SELECT MIN(minute) AS first FROM ${sql(t.outcomes)} ${where}`
    ], { concurrency: "unbounded" })
    const firsts = [...(yield* decode(First, a, "minute")), ...(yield* decode(First, b, "outcome"))]
      .map((r) => r.first)
      .filter((x): x is number => x !== null)
    return firsts.length === 0 ? undefined : Math.min(...firsts)
  })

/** @internal */
export const windowOf = (first: number | undefined, now: number): RetryStats.TimeWindow => {
  const from = first ?? now
  return { from, to: Math.max(now, from) }
}

/** @internal */
export const samples = (
  t: Tables,
  limit: number,
  since?: number
): Effect.Effect<Array<RetryStats.ErrorSample>, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const where = since === undefined ? sql`` : sql`WHERE time >= ${since}`
    const rows = yield* sql`SELECT time, task, category, tag, message, attempt FROM ${sql(t.samples)} ${where}
ORDER BY time DESC LIMIT ${limit}`
    return (yield* decode(SampleRow, rows, "sample")).map((s) => ({ ...s })).reverse()
  })

/** @internal */
export const analyze = (t: Tables, task: string | undefined) =>
  Effect.gen(function*() {
    const name = task === undefined ? undefined : RetryStats.storedTaskName(task)
    const [list, first, now] = yield* Effect.all(
      [counters(t, name, false), earliest(t, name), Clock.currentTimeMillis],
      {
        concurrency: "unbounded"
      }
    )
    return RetryStats.analysisFromCounters(task, list, windowOf(first, now))
  })

/** @internal */
export const statistics = (t: Tables, sampleSize: number) =>
  Effect.gen(function*() {
    const [list, first, recent, now] = yield* Effect.all([
      counters(t, undefined, true),
      earliest(t, undefined),
      samples(t, sampleSize),
      Clock.currentTimeMillis
    ], { concurrency: "unbounded" })
    return RetryStats.statisticsFromCounters(list, recent, windowOf(first, now))
  })

/**
 * Failed attempts per category in the minute holding now and the minutes before it that
 * `windowMillis` spans.
 *
 * @internal
 */
export const windowCounts = (t: Tables, windowMillis: number, task: string | undefined) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const index = Math.floor(now / MINUTE)
    const n = Math.max(1, Math.ceil(windowMillis / MINUTE))
    const from = (index - n + 1) * MINUTE
    // a window past what any database holds reads everything: the bound is only ever a number
    const lower = Math.max(from, Number.MIN_SAFE_INTEGER)
    const name = task === undefined ? undefined : RetryStats.storedTaskName(task)
    const rows = yield* sql`SELECT category, SUM(failures) AS failures FROM ${sql(t.minutes)}
WHERE minute >= ${lower} AND minute <= ${index * MINUTE} ${name === undefined ? sql`` : sql`AND task = ${name}`}
GROUP BY category`
    const decoded = yield* decode(Schema.Struct({ category: Category, failures: Num }), rows, "window")
    const distribution = Object.fromEntries(Classifier.categories.map((c) => [c, 0])) as Record<ErrorCategory, number>
    let total = 0
    for (const r of decoded) {
      if (r.category === "none") continue
      distribution[r.category] += r.failures
      total += r.failures
    }
    return {
      taskName: task,
      totalErrors: total,
      categoryDistribution: distribution,
      window: { from, to: now }
    } satisfies RetryStats.WindowErrorCounts
  })

/**
 * Deletes what ended at or before now − `olderThanMillis`, in batches of `batchSize` rows, each
 * its own statement; returns the failed attempts deleted.
 *
 * @internal
 */
export const cleanup = (t: Tables, olderThanMillis: number, batchSize: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = yield* Clock.currentTimeMillis
    const cutoff = now - olderThanMillis
    // a bucket goes when it ends at or before the cutoff, as in the memory store
    const lastStart = Math.max(cutoff - MINUTE, Number.MIN_SAFE_INTEGER)
    let failures = 0
    // each batch: delete, and subtract what was deleted from the totals, in one transaction
    for (;;) {
      const n = yield* retryBusy(Effect.zipRight(
        busyTimeout,
        sql.withTransaction(Effect.gen(function*() {
          const rows = yield* sql`DELETE FROM ${sql(t.minutes)} WHERE (task, category, minute) IN (
  SELECT task, category, minute FROM ${sql(t.minutes)} WHERE minute <= ${lastStart} LIMIT ${batchSize}
) RETURNING task, category, failures, retries, wait_ms, recovered_one`
          const deleted = yield* decode(MinuteSums, rows, "deleted")
          yield* addTotals(
            t,
            deleted.map((r) => ({
              task: r.task,
              category: r.category,
              failures: -r.failures,
              retries: -r.retries,
              wait_ms: -r.wait_ms,
              recovered_one: -r.recovered_one
            })),
            []
          )
          for (const r of deleted) failures += r.failures
          return rows.length
        }))
      ))
      if (n < batchSize) break
    }
    for (;;) {
      const n = yield* retryBusy(Effect.zipRight(
        busyTimeout,
        sql.withTransaction(Effect.gen(function*() {
          const rows = yield* sql`DELETE FROM ${sql(t.outcomes)} WHERE (task, category, minute, outcome) IN (
  SELECT task, category, minute, outcome FROM ${sql(t.outcomes)} WHERE minute <= ${lastStart} LIMIT ${batchSize}
) RETURNING task, category, outcome, runs`
          const deleted = yield* decode(OutcomeSums, rows, "deleted")
          yield* addTotals(t, [], deleted.map((r) => ({ ...r, runs: -r.runs })))
          return rows.length
        }))
      ))
      if (n < batchSize) break
    }
    // totals left at zero: their task no longer appears
    yield* sql`DELETE FROM ${sql(t.totals)} WHERE failures = 0 AND retries = 0 AND wait_ms = 0 AND recovered_one = 0`
    yield* sql`DELETE FROM ${sql(t.outcomeTotals)} WHERE runs = 0`
    const lowerTime = Math.max(cutoff, Number.MIN_SAFE_INTEGER)
    for (;;) {
      const rows = yield* sql`DELETE FROM ${sql(t.batches)} WHERE id IN (
  SELECT id FROM ${sql(t.batches)} WHERE written_at < ${lowerTime} LIMIT ${batchSize}
) RETURNING id`
      if (rows.length < batchSize) break
    }
    for (;;) {
      const rows = yield* sql.onDialectOrElse({
        pg: () =>
          sql`DELETE FROM ${sql(t.samples)} WHERE ctid IN (
  SELECT ctid FROM ${sql(t.samples)} WHERE time < ${lowerTime} LIMIT ${batchSize}
) RETURNING time`,
        orElse: () =>
          sql`DELETE FROM ${sql(t.samples)} WHERE rowid IN (
  SELECT rowid FROM ${sql(t.samples)} WHERE time < ${lowerTime} LIMIT ${batchSize}
) RETURNING time`
      })
      if (rows.length < batchSize) break
    }
    return failures
  })
