/**
 * Volume: 1,000,000 failures over 1,000 tasks and 48 simulated hours, recorded by one process
 * through `SqlRetryStats.layer` into PostgreSQL (a throwaway database on `DATABASE_URL`'s server),
 * flushed once per simulated hour. Measures the rows written, the time spent writing, and the
 * fleet-wide reads. Writes `bench/results/sql-volume.json`; `packages/bench`'s report renders it
 * into `docs/benchmarks.md`.
 *
 * Run from the repository root, with the services up:
 *
 *   eval "$(bash scripts/services.sh env)"
 *   node --conditions=source --import tsx packages/sql/bench/volume.ts
 *
 * A benchmark, not a test: it takes about a minute and its numbers depend on the machine.
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { type ErrorCategory, RetryStats } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Effect, Layer, Redacted } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const FAILURES = Number(process.env.VOLUME_FAILURES ?? 1_000_000)
const TASKS = 1_000
const HOURS = 48
const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 1)

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const url = process.env.DATABASE_URL
if (url === undefined) throw new Error("DATABASE_URL is not set: eval \"$(bash scripts/services.sh env)\" first")

/** A seeded generator (mulberry32), so every run records the same events. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const categories: ReadonlyArray<ErrorCategory> = ["network_error", "api_rate_limit", "temporary_error"]
const errors = [
  new Error("connect ECONNREFUSED 10.0.0.12:443"),
  new Error("429 Too Many Requests from https://api.example.com/v1/track?api_key=sk_live_abc"),
  new Error("503 Service Unavailable")
]

const admin = (statement: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.scoped)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>, runs: number) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    let last: A | undefined
    for (let i = 0; i < runs; i++) {
      const t = performance.now()
      last = yield* effect
      times.push(performance.now() - t)
    }
    return { ms: median(times), runs: times, last: last! }
  })

const program = Effect.gen(function*() {
  const name = `h14_volume_${process.pid}`
  yield* admin(`DROP DATABASE IF EXISTS ${name}`)
  yield* admin(`CREATE DATABASE ${name}`)
  const u = new URL(url)
  u.pathname = `/${name}`
  const layer = SqlRetryStats.layer({ maxPending: 1_000_000, metrics: false }).pipe(
    Layer.provideMerge(PgClient.layer({ url: Redacted.make(u.toString()) }))
  )
  const result = yield* Effect.gen(function*() {
    const store = yield* RetryStats.RetryStats
    const rand = random(42)
    const step = (HOURS * HOUR) / FAILURES
    let recordMs = 0
    let writeMs = 0
    const flushes: Array<number> = []
    let i = 0
    for (let hour = 0; hour < HOURS; hour++) {
      const end = Math.min(FAILURES, Math.round(((hour + 1) * FAILURES) / HOURS))
      const t = performance.now()
      for (; i < end; i++) {
        const now = T0 + Math.floor(i * step)
        const task = `task-${Math.floor(rand() * TASKS)}`
        const k = Math.floor(rand() * 3)
        const category = categories[k]
        store.unsafeRecordFailure(task, category, errors[k], 1, now)
        store.unsafeRecordRetry(task, category, 100 * (k + 1), now)
        if (i % 2 === 1) store.unsafeRecordOutcome(task, rand() < 0.8 ? "recovered" : "exhausted", category, 1, now)
      }
      recordMs += performance.now() - t
      const w = performance.now()
      yield* RetryStats.flush
      const ms = performance.now() - w
      writeMs += ms
      flushes.push(ms)
      process.stderr.write(`hour ${hour + 1}/${HOURS}: flush ${ms.toFixed(0)} ms\n`)
    }
    const status = yield* RetryStats.deliveryStatus
    if (status.pendingAggregates !== 0 || status.droppedAggregates !== 0 || status.failedWrites !== 0) {
      throw new Error(`delivery incomplete: ${JSON.stringify(status)}`)
    }
    const sql = yield* SqlClient.SqlClient
    const count = (table: string) =>
      Effect.map(sql`SELECT COUNT(*) AS n FROM ${sql(table)}`, (rows) => Number(rows[0].n))
    const rows = {
      minutes: yield* count("intelligent_retry_minutes"),
      outcomes: yield* count("intelligent_retry_outcomes"),
      samples: yield* count("intelligent_retry_samples")
    }
    yield* sql`ANALYZE`
    const all = yield* timed(SqlRetryStats.analyzeTaskErrors(), 7)
    const one = yield* timed(SqlRetryStats.analyzeTaskErrors("task-7"), 7)
    const statistics = yield* timed(SqlRetryStats.getErrorStatistics, 3)
    const window = yield* timed(SqlRetryStats.errorsInWindow("1 hour"), 7)
    const local = yield* RetryStats.analyzeTaskErrors()
    if (all.last.totalErrors !== FAILURES || local.totalErrors !== FAILURES) {
      throw new Error(`expected ${FAILURES} failures, fleet ${all.last.totalErrors}, local ${local.totalErrors}`)
    }
    return {
      failures: FAILURES,
      tasks: TASKS,
      hours: HOURS,
      rows,
      writtenAggregates: status.writtenAggregates,
      writtenSamples: status.writtenSamples,
      recordMs,
      writeMs,
      rowsPerSecond: (rows.minutes + rows.outcomes + status.writtenSamples) / (writeMs / 1000),
      slowestFlushMs: Math.max(...flushes),
      analyzeAllMs: all.ms,
      analyzeOneMs: one.ms,
      statisticsMs: statistics.ms,
      windowMs: window.ms,
      machine: { cpus: os.cpus().length, load: os.loadavg()[0], node: process.version }
    }
  }).pipe(Effect.provide(layer), Effect.ensuring(Effect.orDie(admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))))
  return result
})

Effect.runPromise(program).then((result) => {
  const dir = path.join(root, "bench", "results")
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, "sql-volume.json"), JSON.stringify(result, null, 2) + "\n")
  process.stdout.write(JSON.stringify(result, null, 2) + "\n")
  process.exit(0)
}, (error) => {
  process.stderr.write(String(error) + "\n")
  process.exit(1)
})
