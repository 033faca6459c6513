/**
 * A database stopped mid-run (a TCP proxy in front of PostgreSQL, cut and restored): no retry fails
 * or slows, what cannot be kept is dropped with an exact count, and recording resumes when the
 * database comes back.
 */
import { PgClient } from "@effect/sql-pg"
import { describe, expect, it } from "@effect/vitest"
import { NetworkError, RetryBudget, RetryStats, Strategies, withIntelligentRetry } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Effect, Layer, Redacted } from "effect"
import { describeWithServices, serviceUrl } from "../../../test/services.js"
import { recordRuns, scratchDatabase, tcpProxy } from "./utils.js"

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

describeWithServices("SqlRetryStats: PostgreSQL stopped mid-run", ["postgres"], () => {
  it.live("retries neither fail nor slow; drops are counted exactly; recording resumes", () =>
    Effect.gen(function*() {
      const db = yield* scratchDatabase(serviceUrl("postgres"), "outage")
      const target = new URL(db.url)
      const proxy = yield* tcpProxy(target.hostname, Number(target.port))
      const viaProxy = new URL(db.url)
      viaProxy.port = String(proxy.port)
      const client = PgClient.layer({ url: Redacted.make(viaProxy.toString()), connectTimeout: "1 second" })
      const stats = SqlRetryStats.layer({
        maxPending: MAX_PENDING,
        retryBase: "50 millis",
        retryMax: "200 millis",
        writeTimeout: "2 seconds"
      }).pipe(Layer.provideMerge(client))

      yield* Effect.gen(function*() {
        const store = yield* RetryStats.RetryStats
        // the database is up: a baseline
        const up = yield* runs(300)
        yield* RetryStats.flush
        expect((yield* RetryStats.deliveryStatus).pendingAggregates).toBe(0)

        yield* Effect.promise(() => proxy.cut())
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
        yield* Effect.promise(() => proxy.restore())
        let status = yield* RetryStats.deliveryStatus
        for (let i = 0; i < 100 && status.pendingAggregates > 0; i++) {
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
        Effect.provide(stats),
        // the runs measure the statistics path; the default retry budget would refuse most of
        // these 1,200 back-to-back retries
        Effect.provide(RetryBudget.layerNone)
      )
    }).pipe(Effect.scoped), 60_000)
})

void describe
