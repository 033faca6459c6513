/**
 * `intelligent-retry report` and `check` through the real binary, on databases filled by real
 * runs through `SqlRetryStats.layer`: an SQLite file, and a PostgreSQL database created (and
 * dropped) by this file. What the binary prints must be what `SqlRetryStats.analyzeTaskErrors`
 * returns, and the exit code must say whether a suggestion is critical.
 */
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { RetryStats } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import type { Layer } from "effect"
import { Effect, Either, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describeWithServices, serviceUrl } from "../../../test/services.js"
import * as Flags from "../src/internal/flags.js"
import * as SqlFleet from "../src/internal/sqlFleet.js"
import { ensureBuilt, root, runBin } from "./binary.js"
import { healthy, outage } from "./fixtures.js"

const output = path.join(root, ".tmp/test-output/cli-report")

beforeAll(async () => {
  fs.mkdirSync(output, { recursive: true })
  await ensureBuilt()
}, 180_000)

/** An analysis as JSON, without `window.to`: "now", which differs between two reads. */
const settled = (analysis: unknown) => {
  const a = JSON.parse(JSON.stringify(analysis))
  return { ...a, window: { from: a.window.from } }
}

/** The behaviour every database must show; `db` is the `--db` value, `client` the same database. */
const suite = (db: () => string, client: () => Layer.Layer<SqlClient.SqlClient, unknown>) => {
  const run = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
    Effect.runPromise(effect.pipe(Effect.provide(client())) as Effect.Effect<A, unknown>)

  const record = (runs: Effect.Effect<void>) =>
    run(
      Effect.gen(function*() {
        yield* runs
        yield* RetryStats.flush
      }).pipe(Effect.provide(SqlRetryStats.layer()))
    )

  it("prints the fleet-wide analysis of everything flushed, and exits 0 without a critical suggestion", async () => {
    await record(healthy)
    const [all, tracking] = await run(Effect.all([
      SqlRetryStats.analyzeTaskErrors(),
      SqlRetryStats.analyzeTaskErrors("update_tracking_info")
    ]))
    const json = await runBin(["report", "--db", db(), "--json"])
    expect(json.stderr).toBe("")
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(settled(report.fleet)).toEqual(settled(all))
    expect(settled(report.tasks.find((t: { taskName: string }) => t.taskName === "update_tracking_info"))).toEqual(
      settled(tracking)
    )
    expect(report.critical).toBe(false)

    const text = await runBin(["report", "--db", db()])
    expect(text.code).toBe(0)
    const row = text.stdout.split("\n").find((line) => line.trimStart().startsWith("update_tracking_info "))!
    expect(row.trim().split(/\s+/).slice(0, 2)).toEqual(["update_tracking_info", String(tracking.totalErrors)])
    expect(text.stdout).toContain("No critical suggestion (exit code 0).")
    expect(text.stdout).not.toContain("sk_live_4242424242")

    // --since reads the rows of the recent minutes itself: over a span holding everything, the same analysis
    const recent = await runBin(["report", "--db", db(), "--json", "--since", "1h"])
    expect(recent.code).toBe(0)
    const withoutWindow = (a: unknown) => ({ ...settled(a), window: undefined })
    expect(withoutWindow(JSON.parse(recent.stdout).fleet)).toEqual(withoutWindow(all))

    const unknown = await runBin(["report", "--db", db(), "--task", "no_such_task"])
    expect(unknown.code).toBe(0)
    expect(unknown.stdout).toContain(`Nothing recorded for task "no_such_task"`)

    const check = await runBin(["check", "--db", db(), "--threshold", "1000"])
    expect(check.code).toBe(0)
    expect(check.stdout).toContain(`failed attempts ${all.totalErrors} (threshold 1000)`)
    fs.writeFileSync(path.join(output, `report-healthy-${path.basename(db())}.txt`), text.stdout)
  }, 60_000)

  it("reads per-minute rows for the charts that add up to the analysis", async () => {
    const all = await run(SqlRetryStats.analyzeTaskErrors())
    const rows = await Effect.runPromise(Effect.scoped(Effect.flatMap(
      SqlFleet.open(Either.getOrThrow(Flags.databaseTarget(db(), root))),
      (fleet) => fleet.timeline(Date.now() - 3_600_000)
    )))
    expect(rows.length).toBeGreaterThan(0)
    for (const category of Object.keys(all.categoryDistribution) as Array<keyof typeof all.categoryDistribution>) {
      expect(rows.reduce((n, r) => n + r.failures[category], 0), category).toBe(all.categoryDistribution[category])
    }
    for (const outcome of Object.keys(all.outcomes) as Array<keyof typeof all.outcomes>) {
      expect(rows.reduce((n, r) => n + r.outcomes[outcome], 0), outcome).toBe(all.outcomes[outcome])
    }
  }, 60_000)

  it("exits 2 on a critical suggestion, and check alerts past its thresholds", async () => {
    await record(outage("sync_orders", 12))
    const orders = await run(SqlRetryStats.analyzeTaskErrors("sync_orders"))
    expect(orders.suggestions.map((s) => [s.code, s.severity])).toContainEqual([
      "TRANSIENT_ERRORS_EXHAUSTED",
      "critical"
    ])
    const text = await runBin(["report", "--db", db()])
    expect(text.code).toBe(2)
    expect(text.stdout).toContain("CRITICAL  TRANSIENT_ERRORS_EXHAUSTED  sync_orders")

    const json = await runBin(["report", "--db", db(), "--task", "sync_orders", "--json"])
    expect(json.code).toBe(2)
    expect(settled(JSON.parse(json.stdout).fleet)).toEqual(settled(orders))

    const all = await run(SqlRetryStats.analyzeTaskErrors())
    const check = await runBin(["check", "--db", db(), "--threshold", "20", "--data-threshold", "2"])
    expect(check.code).toBe(2)
    expect(check.stdout).toContain(`ERROR_THRESHOLD_EXCEEDED`)
    expect(check.stdout).toContain(`${all.totalErrors} failed attempts in the last 5m, above the threshold of 20`)
    expect(check.stdout).toContain(`CATEGORY_THRESHOLD_EXCEEDED`)
    fs.writeFileSync(path.join(output, `report-critical-${path.basename(db())}.txt`), text.stdout)
  }, 60_000)
}

describe("report on an SQLite file no worker wrote to", () => {
  it("exits 1, saying the file holds no statistics", async () => {
    const empty = path.join(output, `empty-${process.pid}.db`)
    fs.writeFileSync(empty, "")
    const result = await runBin(["report", "--db", empty])
    fs.rmSync(empty, { force: true })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("holds no intelligent-retry statistics")
  }, 30_000)
})

describe("report on SQLite", () => {
  const file = path.join(output, `stats-${process.pid}.db`)
  beforeAll(() => {
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
  })
  afterAll(() => {
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
  })
  suite(() => file, () => LibsqlClient.layer({ url: `file:${file}` }))
})

describeWithServices("report on PostgreSQL", ["postgres"], () => {
  const name = `cli_report_${process.pid}_${Math.floor(Math.random() * 1e9)}`
  const admin = () => PgClient.layer({ url: Redacted.make(serviceUrl("postgres")) })
  const url = () => {
    const u = new URL(serviceUrl("postgres"))
    u.pathname = `/${name}`
    return u.toString()
  }
  const adminRun = (statement: string) =>
    Effect.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(
        Effect.provide(admin()),
        Effect.scoped
      ) as Effect.Effect<unknown, unknown>
    )
  beforeAll(() => adminRun(`CREATE DATABASE ${name}`), 30_000)
  afterAll(() => adminRun(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), 30_000)
  suite(url, () => PgClient.layer({ url: Redacted.make(url()) }))
})
