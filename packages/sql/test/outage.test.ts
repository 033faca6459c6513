/**
 * A database stopped mid-run (a TCP proxy in front of PostgreSQL, cut and restored; an SQLite file
 * whose write lock another connection holds, then releases): no retry fails or slows, what cannot
 * be kept is dropped with an exact count, and recording resumes when the database comes back.
 */
import { SqlClient } from "@effect/sql"
import { LibsqlClient } from "@effect/sql-libsql"
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { NetworkError, RetryBudget, RetryStats, Strategies, withIntelligentRetry } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Deferred, Effect, Layer, Redacted } from "effect"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { describeWithServices, serviceUrl } from "../../../test/services.js"
import { recordRuns, scratchDatabase, tcpProxy, tempDir } from "./utils.js"

/** One run: fails twice with a network error, then succeeds; zero waits. Returns its duration in ms. */
const oneRun = (i: number) =>
  Effect.suspend(() => {
    let attempts = 0
    const started = performance.now()
    return Effect.suspend(() =>
      ++attempts <= 2 ? Effect.fail(new NetworkError({ message: `reset ${i}` })) : Effect.succeed(attempts)
    ).pipe(
      withIntelligentRetry({ task: "outage-runs", strategies: { network_error: Strategies.immediate() } }),
      Effect.map(() => performance.now() - started)
    )
  })

const runs = (n: number) =>
  Effect.forEach(Array.from({ length: n }, (_, i) => i), oneRun).pipe(
    Effect.map((durations) => [...durations].sort((a, b) => a - b))
  )

const MAX_PENDING = 50

const OPTIONS = {
  maxPending: MAX_PENDING,
  retryBase: "50 millis",
  retryMax: "200 millis",
  writeTimeout: "2 seconds"
} as const

/**
 * The scenario, for any database: up, then `stop` (every write refused), 300 runs and 80 distinct
 * tasks, then `start` again. Runs inside the statistics layer given.
 */
const stoppedMidRun = (stop: Effect.Effect<void>, start: Effect.Effect<void>) =>
  Effect.gen(function*() {
    const store = yield* RetryStats.RetryStats
    // the database is up: a baseline
    const up = yield* runs(300)
    yield* RetryStats.flush
    expect((yield* RetryStats.deliveryStatus).pendingAggregates).toBe(0)

    yield* stop
    // the database is down: the same runs, all succeed, no slower
    const down = yield* runs(300)
    const p95 = (xs: ReadonlyArray<number>) => xs[Math.floor(xs.length * 0.95)]
    // documented bound: recording never waits for the database (docs/statistics.md)
    expect(p95(down)).toBeLessThan(Math.max(5, 3 * p95(up)))
    yield* RetryStats.flush // one write, refused
    const before = yield* RetryStats.deliveryStatus
    expect(before.failedWrites).toBeGreaterThan(0)
    expect(before.droppedAggregates).toBe(0)

    // 80 distinct tasks in one minute: 80 aggregates, of which only MAX_PENDING may wait
    const minute = Math.floor(Date.now() / 60_000) * 60_000
    for (let i = 0; i < 80; i++) recordRuns(store, `outage-${i}`, "network_error", 1, minute + 1)
    yield* RetryStats.flush
    const after = yield* RetryStats.deliveryStatus
    expect(after.pendingAggregates).toBe(MAX_PENDING)
    expect(after.droppedAggregates).toBe(before.pendingAggregates + 80 - MAX_PENDING)
    expect(after.pendingSamples).toBeLessThanOrEqual(MAX_PENDING)
    // the process's own statistics are complete
    expect((yield* RetryStats.analyzeTaskErrors("outage-runs")).totalErrors).toBe(1200)

    // back up: the delivery fiber writes what was kept, within its backoff
    yield* start
    let status = yield* RetryStats.deliveryStatus
    for (let i = 0; i < 150 && status.pendingAggregates > 0; i++) {
      yield* Effect.sleep("100 millis")
      status = yield* RetryStats.deliveryStatus
    }
    expect(status.pendingAggregates).toBe(0)
    expect(status.writtenAggregates).toBe(after.writtenAggregates + MAX_PENDING)
    // and recording resumes
    recordRuns(store, "after-outage", "data_error", 7, Date.now())
    yield* RetryStats.flush
    expect((yield* SqlRetryStats.analyzeTaskErrors("after-outage")).totalErrors).toBe(7)
    expect((yield* RetryStats.deliveryStatus).droppedAggregates).toBe(after.droppedAggregates)
  }).pipe(
    // the runs measure the statistics path; the default retry budget would refuse most of these
    // 1,200 back-to-back retries
    Effect.provide(RetryBudget.layerNone)
  )

describeWithServices("SqlRetryStats: PostgreSQL stopped mid-run", ["postgres"], () => {
  it.live("retries neither fail nor slow; drops are counted exactly; recording resumes", () =>
    Effect.gen(function*() {
      const db = yield* scratchDatabase(serviceUrl("postgres"), "outage")
      const target = new URL(db.url)
      const proxy = yield* tcpProxy(target.hostname, Number(target.port))
      const viaProxy = new URL(db.url)
      viaProxy.port = String(proxy.port)
      const client = PgClient.layer({ url: Redacted.make(viaProxy.toString()), connectTimeout: "1 second" })
      yield* stoppedMidRun(Effect.promise(() => proxy.cut()), Effect.promise(() => proxy.restore())).pipe(
        Effect.provide(SqlRetryStats.layer(OPTIONS).pipe(Layer.provideMerge(client)))
      )
    }).pipe(Effect.scoped), 60_000)
})

describe("SqlRetryStats: an SQLite file locked by another writer mid-run", () => {
  // SQLite has no server to stop: its outage is a file another process holds a write lock on
  // (a long cleanup, a backup tool), so every write of this process meets SQLITE_BUSY.
  it.live("retries neither fail nor slow; drops are counted exactly; recording resumes", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "stats.db")
      const held = yield* Deferred.make<void>()
      const locked = yield* Deferred.make<void>()
      // the other writer: its own connection, a write transaction held open until released
      const holder = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.withTransaction(
          Effect.gen(function*() {
            yield* sql`CREATE TABLE IF NOT EXISTS lock_holder (n INTEGER)`
            yield* sql`INSERT INTO lock_holder (n) VALUES (1)`
            yield* Deferred.succeed(locked, undefined)
            yield* Deferred.await(held)
          })
        )
      }).pipe(Effect.provide(LibsqlClient.layer({ url: pathToFileURL(filename).href })), Effect.orDie)
      yield* stoppedMidRun(
        Effect.forkDaemon(holder).pipe(Effect.zipRight(Deferred.await(locked))),
        Effect.asVoid(Deferred.succeed(held, undefined))
      ).pipe(Effect.provide(SqlRetryStats.layerSqlite({ ...OPTIONS, filename, writeTimeout: "1 second" })))
    }).pipe(Effect.scoped), 90_000)
})
