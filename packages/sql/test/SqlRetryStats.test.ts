import { SqlClient } from "@effect/sql"
import { LibsqlClient } from "@effect/sql-libsql"
import { describe, expect, it } from "@effect/vitest"
import { InvalidPolicyError, RetryMonitor, RetryStats } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Cause, Effect, Exit, Layer } from "effect"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as internal from "../src/internal/sqlStats.js"
import { additive, recordRuns, sumOf, tempDir } from "./utils.js"

const MINUTE = 60_000

describe("SqlRetryStats on SQLite", () => {
  it.live("two layers on one file: the fleet-wide analysis is the sum of the local ones after flush", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "stats.db")
      const now = Date.now()
      const local = (task: string, n: number, category: "network_error" | "data_error") =>
        Effect.gen(function*() {
          const store = yield* RetryStats.RetryStats
          recordRuns(store, task, category, n, now)
          recordRuns(store, "shared", "network_error", n, now)
          yield* RetryStats.flush
          return additive(yield* RetryStats.analyzeTaskErrors())
        }).pipe(Effect.provide(SqlRetryStats.layerSqlite({ filename })))
      const a = yield* local("a", 12, "network_error")
      const b = yield* local("b", 7, "data_error")
      const fleet = yield* SqlRetryStats.analyzeTaskErrors().pipe(
        Effect.provide(SqlRetryStats.layerSqlite({ filename }))
      )
      expect(additive(fleet)).toEqual(sumOf([a, b]))
      expect(fleet.suggestions.map((s) => s.code)).toContain("DATA_ERRORS_RETRIED")
      const shared = yield* SqlRetryStats.analyzeTaskErrors("shared").pipe(
        Effect.provide(SqlRetryStats.layerSqlite({ filename }))
      )
      expect(shared.totalErrors).toBe(19)
      const statistics = yield* SqlRetryStats.getErrorStatistics.pipe(
        Effect.provide(SqlRetryStats.layerSqlite({ filename }))
      )
      expect(Object.keys(statistics.byTask).sort()).toEqual(["a", "b", "shared"])
      expect(statistics.totalErrors).toBe(38)
      expect(statistics.recentSamples.length).toBe(38)
      expect(statistics.recentSamples.every((s) => !s.message.includes("secret"))).toBe(true)
    }).pipe(Effect.scoped))

  it.live("cleanupOldErrors deletes whole old minutes in bounded batches; windows and the monitor read the fleet", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "stats.db")
      const now = Date.now()
      yield* Effect.gen(function*() {
        const store = yield* RetryStats.RetryStats
        recordRuns(store, "old", "network_error", 5, now - 3 * 60 * MINUTE)
        recordRuns(store, "new", "data_error", 30, now)
        yield* RetryStats.flush
        const window = yield* SqlRetryStats.errorsInWindow("10 minutes")
        expect(window.totalErrors).toBe(30)
        const everything = yield* SqlRetryStats.errorsInWindow("100000 weeks")
        expect(everything.totalErrors).toBe(35)
        const alerts = yield* RetryMonitor.check({ window: "10 minutes" })
        expect(alerts.map((a) => [a.code, a.category ?? null, a.observed])).toEqual([
          ["CATEGORY_THRESHOLD_EXCEEDED", "data_error", 30]
        ])
        expect(yield* SqlRetryStats.cleanupOldErrors("1 hour")).toBe(5)
        expect((yield* SqlRetryStats.analyzeTaskErrors()).totalErrors).toBe(30)
        expect(yield* SqlRetryStats.cleanupOldErrors("1 hour")).toBe(0)
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql`SELECT COUNT(*) AS n FROM custom_samples`
        expect(Number(rows[0].n)).toBe(30)
      }).pipe(Effect.provide(SqlRetryStats.layerSqlite({ filename, tablePrefix: "custom_" }).pipe(Layer.orDie)))
      void Layer
    }).pipe(Effect.scoped))
})

describe("SqlRetryStats: a batch sent twice", () => {
  it.live("is applied once (a write that timed out may have committed)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "stats.db")
      yield* Effect.gen(function*() {
        const tables = yield* SqlRetryStats.SqlRetryStatsTables
        const minute = Math.floor(Date.now() / MINUTE) * MINUTE
        const batch: RetryStats.SinkBatch = {
          id: "store-1-0",
          aggregates: [{
            task: "twice",
            category: "network_error",
            minute,
            failures: 3,
            retries: 2,
            waitMillis: 10,
            recoveredAfterOneRetry: 1,
            outcomes: { recovered: 1 }
          }],
          samples: []
        }
        yield* internal.write(tables, batch)
        yield* internal.write(tables, batch)
        yield* internal.write(tables, { ...batch, id: "store-1-1" })
        const analysis = yield* SqlRetryStats.analyzeTaskErrors("twice")
        expect([analysis.totalErrors, analysis.retries, analysis.recovered]).toEqual([6, 4, 2])
      }).pipe(Effect.provide(SqlRetryStats.layerSqlite({ filename })))
    }).pipe(Effect.scoped))
})

describe("SqlRetryStats: bad input", () => {
  const tablesIn = (filename: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ readonly name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`
      return rows.map((r) => r.name)
    }).pipe(Effect.provide(LibsqlClient.layer({ url: pathToFileURL(filename).href })))

  it.live("an invalid option fails the layer with an InvalidPolicyError before the database is touched", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "stats.db")
      const cases: ReadonlyArray<readonly [unknown, string, string]> = [
        [{ tablePrefix: "1st" }, "tablePrefix", `got "1st"`],
        [{ tablePrefix: "x; DROP TABLE y" }, "tablePrefix", `got "x; DROP TABLE y"`],
        [{ bucketWidth: "1 second" }, "bucketWidth", "one-minute buckets"],
        [{ sampleSize: -1 }, "sampleSize", "got -1"],
        [{ maxPending: 0 }, "maxPending", "got 0"],
        [{ tablePrefx: "a_" }, "options.tablePrefx", "is not an option of SqlRetryStats.layer"],
        ["small", "options", `got "small"`]
      ]
      for (const [options, field, shown] of cases) {
        // calling never throws: the layer fails when built
        const layer = SqlRetryStats.layer(options as any).pipe(
          Layer.provide(LibsqlClient.layer({ url: pathToFileURL(filename).href }))
        )
        const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
        expect(error, field).toBeInstanceOf(InvalidPolicyError)
        expect((error as InvalidPolicyError).field).toBe(field)
        expect(error.message).toMatch(new RegExp(`^Invalid ${field.replace(".", "\\.")}: `))
        expect(error.message).toContain(shown)
      }
      expect(yield* tablesIn(filename)).toEqual([])
    }).pipe(Effect.scoped))

  it.live("layerSqlite fails with an InvalidPolicyError naming an empty filename", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(SqlRetryStats.layerSqlite({ filename: "" }))))
      expect(error).toBeInstanceOf(InvalidPolicyError)
      expect((error as InvalidPolicyError).message).toBe(`Invalid filename: must be a non-empty string, got ""`)
    }))

  it("fleet-wide reads die with an InvalidPolicyError on an invalid duration, as the local ones do", () => {
    const defect = (effect: Effect.Effect<unknown, unknown, SqlClient.SqlClient>) => {
      const exit = Effect.runSyncExit(effect.pipe(Effect.provideService(SqlClient.SqlClient, undefined as any)))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      return Exit.isFailure(exit) ? Cause.squash(exit.cause) as InvalidPolicyError : undefined
    }
    expect(defect(SqlRetryStats.errorsInWindow(-1))?.message).toBe(
      "Invalid window: must be a positive, finite duration, got -1"
    )
    expect(defect(SqlRetryStats.cleanupOldErrors("-5 minutes"))?.field).toBe("olderThan")
  })
})
