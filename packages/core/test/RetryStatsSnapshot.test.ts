import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Effect, Exit, Fiber, Layer, Logger, Metric, Ref, Scope, Stream, TestClock } from "effect"
import * as fc from "fast-check"
import { categories, type ErrorCategory } from "../src/ErrorCategory.js"
import * as RetryMonitor from "../src/RetryMonitor.js"
import { outcomes, type RetryOutcome } from "../src/RetryOutcome.js"
import * as RetryStats from "../src/RetryStats.js"
import { layerError } from "./utils.js"

const MINUTE = 60_000

/** Records directly, at a given time (the store takes the time from its caller). */
const at = (now: number) => ({
  failure: (s: RetryStats.RetryStatsService, task: string, category: ErrorCategory, error: unknown = new Error("x")) =>
    s.unsafeRecordFailure(task, category, error, 1, now),
  retry: (s: RetryStats.RetryStatsService, task: string, category: ErrorCategory, wait = 0) =>
    s.unsafeRecordRetry(task, category, wait, now),
  outcome: (
    s: RetryStats.RetryStatsService,
    task: string,
    o: RetryOutcome,
    category: ErrorCategory | undefined,
    retries = 0
  ) => s.unsafeRecordOutcome(task, o, category, retries, now)
})

/** A sink that keeps every batch, and can be switched to fail. */
const collecting = Effect.gen(function*() {
  const batches = yield* Ref.make<ReadonlyArray<RetryStats.SinkBatch>>([])
  const down = yield* Ref.make(false)
  const sink: RetryStats.RetryStatsSink = {
    write: (batch) =>
      Effect.flatMap(
        Ref.get(down),
        (isDown) => isDown ? Effect.fail(new Error("database down")) : Ref.update(batches, (bs) => [...bs, batch])
      )
  }
  return { batches, down, sink }
})

const aggregatesOf = (batches: ReadonlyArray<RetryStats.SinkBatch>) => batches.flatMap((b) => b.aggregates)

describe("RetryStats: the published snapshot", () => {
  it.effect("a snapshot never changes; a later one holds what was recorded since", () =>
    Effect.gen(function*() {
      const store = yield* RetryStats.RetryStats
      at(0).failure(store, "a", "network_error")
      const first = yield* RetryStats.snapshot
      at(1).failure(store, "a", "network_error")
      at(2).failure(store, "b", "data_error")
      const second = yield* RetryStats.snapshot
      expect(RetryStats.analyze(first, "a").totalErrors).toBe(1)
      expect(RetryStats.analyze(first).totalErrors).toBe(1)
      expect(first.taskNames).toEqual(["a"])
      expect(RetryStats.analyze(second, "a").totalErrors).toBe(2)
      expect(RetryStats.statistics(second).totalErrors).toBe(3)
      expect(second.version).toBeGreaterThan(first.version)
      // the answers of the service are the answers of its snapshot
      expect(yield* RetryStats.analyzeTaskErrors()).toEqual(RetryStats.analyze(second))
      expect(RetryStats.windowCounts(second, "1 minute").totalErrors).toBe(3)
      expect(second.samples.map((s) => s.task)).toEqual(["a", "a", "b"])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("changes: one snapshot per bucket rotation, at the bucket boundaries", () =>
    Effect.gen(function*() {
      const store = yield* RetryStats.RetryStats
      const fiber = yield* Effect.fork(Stream.runCollect(Stream.take(RetryStats.changes, 3)))
      yield* TestClock.adjust(30_000)
      at(30_000).failure(store, "t", "network_error")
      yield* TestClock.adjust(60_000)
      at(90_000).failure(store, "t", "network_error")
      at(90_000).failure(store, "t", "network_error")
      yield* TestClock.adjust(90_000)
      const snapshots = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(snapshots.map((s) => s.time)).toEqual([60_000, 120_000, 180_000])
      expect(snapshots.map((s) => RetryStats.analyze(s).totalErrors)).toEqual([1, 3, 3])
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("RetryStats: sinks and flush", () => {
  it.effect("flush closes the open bucket and hands its aggregates and samples to the sink", () =>
    Effect.gen(function*() {
      const { batches, sink } = yield* collecting
      const scope = yield* Scope.make()
      const store = yield* RetryStats.makeWithSink(sink).pipe(Scope.extend(scope))
      yield* TestClock.setTime(5 * MINUTE + 1_000)
      const now = 5 * MINUTE + 1_000
      at(now).failure(store, "sync", "network_error")
      at(now).retry(store, "sync", "network_error", 250)
      at(now).failure(store, "sync", "network_error")
      at(now).outcome(store, "sync", "recovered", "network_error", 1)
      at(now).outcome(store, "sync", "succeeded_first_try", undefined)
      yield* store.flush
      const first = yield* Ref.get(batches)
      expect(aggregatesOf(first)).toEqual([
        {
          task: "sync",
          category: "network_error",
          minute: 5 * MINUTE,
          failures: 2,
          retries: 1,
          waitMillis: 250,
          recoveredAfterOneRetry: 1,
          outcomes: { recovered: 1 }
        },
        {
          task: "sync",
          category: "none",
          minute: 5 * MINUTE,
          failures: 0,
          retries: 0,
          waitMillis: 0,
          recoveredAfterOneRetry: 0,
          outcomes: { succeeded_first_try: 1 }
        }
      ])
      expect(first.flatMap((b) => b.samples).length).toBe(2)
      // the same minute again: a further delta
      at(now + 10).failure(store, "sync", "network_error")
      yield* Scope.close(scope, Exit.void) // closing the scope flushes
      const all = aggregatesOf(yield* Ref.get(batches))
      expect(all.length).toBe(3)
      expect(all[2]).toMatchObject({ task: "sync", category: "network_error", minute: 5 * MINUTE, failures: 1 })
      expect(yield* store.deliveryStatus).toMatchObject({ writtenAggregates: 3, writtenSamples: 3, failedWrites: 0 })
    }))

  it.effect("closed buckets flow on the delivery fiber at each boundary, without a flush", () =>
    Effect.gen(function*() {
      const { batches, sink } = yield* collecting
      yield* Effect.gen(function*() {
        const store = yield* RetryStats.RetryStats
        at(10).failure(store, "t", "data_error")
        at(MINUTE + 5).failure(store, "t", "data_error")
        yield* TestClock.adjust(MINUTE)
        // the first minute is closed and written; the second is still open
        expect(aggregatesOf(yield* Ref.get(batches)).map((a) => [a.minute, a.failures])).toEqual([[0, 1]])
        yield* TestClock.adjust(MINUTE)
        expect(aggregatesOf(yield* Ref.get(batches)).map((a) => [a.minute, a.failures])).toEqual([[0, 1], [
          MINUTE,
          1
        ]])
      }).pipe(Effect.provide(RetryStats.layerSink(sink)))
    }))

  it.effect("first-try successes through the counter: exact at every read, placed in the bucket a fold closes", () =>
    Effect.gen(function*() {
      const { batches, sink } = yield* collecting
      const scope = yield* Scope.make()
      const store = yield* RetryStats.makeWithSink(sink).pipe(Scope.extend(scope))
      const count = store.unsafeSuccessCounter!("fast")!
      const first = (task: string) =>
        Metric.value(
          Metric.taggedWithLabels(
            RetryStats.metrics.outcomes,
            RetryStats.metricLabels(task, "none", "succeeded_first_try")
          )
        ).pipe(Effect.map((state) => state.count))
      const before = yield* first("fast")
      yield* TestClock.adjust(10_000)
      count()
      count()
      // the metric counts each success at once; a read folds the cells first
      expect((yield* first("fast")) - before).toBe(2)
      expect(
        (yield* RetryStats.analyzeTaskErrors("fast").pipe(Effect.provideService(RetryStats.RetryStats, store)))
          .outcomes.succeeded_first_try
      ).toBe(2)
      yield* TestClock.adjust(30_000)
      count()
      count()
      count()
      // the tick at the boundary (60 s) closes minute 0: the three counted during it belong to it
      yield* TestClock.adjust(20_000)
      count()
      yield* Scope.close(scope, Exit.void)
      const rows = aggregatesOf(yield* Ref.get(batches)).map((a) => [a.minute, a.outcomes.succeeded_first_try])
      expect(rows).toEqual([[0, 5], [MINUTE, 1]])
      expect((yield* first("fast")) - before).toBe(6)
    }))

  it.effect("a sink that is down: recording goes on, writes are retried with backoff, drops are counted exactly", () =>
    Effect.gen(function*() {
      const { batches, down, sink } = yield* collecting
      const scope = yield* Scope.make()
      const store = yield* RetryStats.makeWithSink(sink, {
        maxPending: 5,
        retryBase: "1 second",
        retryMax: "8 seconds"
      })
        .pipe(Scope.extend(scope))
      yield* Ref.set(down, true)
      // 8 distinct tasks in minute 0: 8 aggregates, 5 fit
      for (let i = 0; i < 8; i++) at(1_000).failure(store, `task-${i}`, "network_error")
      yield* TestClock.adjust(MINUTE)
      let status = yield* store.deliveryStatus
      expect(status).toMatchObject({
        pendingAggregates: 5,
        droppedAggregates: 3,
        writtenAggregates: 0,
        failedWrites: 1
      })
      // retried after 1 s, 2 s, 4 s: three more failures
      yield* TestClock.adjust(7_000)
      status = yield* store.deliveryStatus
      expect(status.failedWrites).toBe(4)
      // the analysis of the process is complete: the sink's troubles never touch recording
      expect((yield* store.analyzeTaskErrors()).totalErrors).toBe(8)
      // back up: the next retry (8 s after the last) writes the five kept
      yield* Ref.set(down, false)
      yield* TestClock.adjust(8_000)
      status = yield* store.deliveryStatus
      expect(status).toMatchObject({ pendingAggregates: 0, droppedAggregates: 3, writtenAggregates: 5 })
      expect(aggregatesOf(yield* Ref.get(batches)).map((a) => a.task)).toEqual(
        ["task-0", "task-1", "task-2", "task-3", "task-4"]
      )
      // and recording resumes
      at(2 * MINUTE + 1).failure(store, "after", "network_error")
      yield* store.flush
      expect(aggregatesOf(yield* Ref.get(batches)).map((a) => a.task)).toContain("after")
      yield* Scope.close(scope, Exit.void)
    }))

  it("invalid delivery options fail the layer with an InvalidPolicyError naming the field and the value", () => {
    const sink: RetryStats.RetryStatsSink = { write: () => Effect.void }
    // calling never throws: the layer fails when built
    const failure = (options: RetryStats.StoreOptions & RetryStats.DeliveryOptions) =>
      layerError(RetryStats.layerSink(sink, options))
    expect(failure({ maxPending: 0 }).message).toBe("Invalid maxPending: must be an integer in [1, 10000000], got 0")
    expect(failure({ retryBase: "2 seconds", retryMax: "1 second" }).message).toMatch(
      /^Invalid retryMax: must be at least `retryBase` \(2000 ms\), got "1 second"$/
    )
    expect(failure({ writeTimeout: Infinity }).field).toBe("writeTimeout")
    expect(failure({ sampleSize: -1 }).field).toBe("sampleSize")
    expect(failure({ batchsize: 10 } as any).field).toBe("options.batchsize")
  })
})

describe("RetryStats: windows over the buckets held (issue 13, defect 5)", () => {
  it.effect("a window of 100000 weeks, or 1e300 ms, answers at once and counts what is held", () =>
    Effect.gen(function*() {
      const store = yield* RetryStats.RetryStats
      yield* TestClock.setTime(10 * MINUTE)
      at(0).failure(store, "t", "network_error")
      at(10 * MINUTE).failure(store, "t", "data_error")
      const started = performance.now()
      const weeks = yield* RetryStats.errorsInWindow("100000 weeks")
      const huge = yield* RetryStats.errorsInWindow(1e300, "t")
      const alerts = yield* RetryMonitor.check({ window: 1e300, errorThreshold: 1, categoryThresholds: {} })
      expect(performance.now() - started).toBeLessThan(500)
      expect(weeks.totalErrors).toBe(2)
      expect(huge.totalErrors).toBe(2)
      expect(Number.isFinite(huge.window.from)).toBe(true)
      expect(alerts.map((a) => a.observed)).toEqual([2])
      expect((yield* RetryStats.errorsInWindow("1 minute")).totalErrors).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("RetryStats: task names (issue 13, secrets)", () => {
  it.effect("a task name is scrubbed once, before statistics, samples and metric labels", () =>
    Effect.gen(function*() {
      const store = yield* RetryStats.RetryStats
      const raw = "GET /u?api_key=sk_live_0123456789abcdef"
      const bearer = "call Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
      at(0).failure(store, raw, "network_error")
      at(0).failure(store, raw, "network_error")
      at(0).failure(store, bearer, "network_error")
      const statistics = yield* RetryStats.getErrorStatistics
      const names = Object.keys(statistics.byTask)
      expect(names.length).toBe(2)
      for (const name of names) {
        expect(name).not.toContain("sk_live_0123456789abcdef")
        expect(name).not.toContain("eyJzdWIiOiIxIn0")
      }
      expect(statistics.recentSamples.every((s) => names.includes(s.task))).toBe(true)
      // read by the raw name or by the stored one
      expect((yield* RetryStats.analyzeTaskErrors(raw)).totalErrors).toBe(2)
      const stored = names.find((n) => n.startsWith("GET"))!
      expect((yield* RetryStats.analyzeTaskErrors(stored)).totalErrors).toBe(2)
      const series = Metric.taggedWithLabels(
        RetryStats.metrics.attempts,
        RetryStats.metricLabels(stored, "network_error")
      )
      expect((yield* Metric.value(series)).count).toBeGreaterThanOrEqual(2)
      const leaked = Metric.taggedWithLabels(RetryStats.metrics.attempts, RetryStats.metricLabels(raw, "network_error"))
      expect((yield* Metric.value(leaked)).count).toBe(0)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("names beyond maxTasks fold into <overflow> and a warning is logged once", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ message }) => logs.push(String(message)))
      yield* Effect.gen(function*() {
        const store = yield* RetryStats.RetryStats
        for (let i = 0; i < 5; i++) at(0).failure(store, `t${i}`, "network_error")
        yield* RetryStats.analyzeTaskErrors()
        at(1).failure(store, "t9", "network_error")
        const statistics = yield* RetryStats.getErrorStatistics
        expect(Object.keys(statistics.byTask).sort()).toEqual([RetryStats.OVERFLOW_TASK, "t0", "t1"])
      }).pipe(
        Effect.provide(Layer.merge(RetryStats.layerWith({ maxTasks: 2 }), Logger.replace(Logger.defaultLogger, logger)))
      )
      expect(logs.filter((l) => l.includes("maxTasks")).length).toBe(1)
    }))
})

// -----------------------------------------------------------------------------
// property: the folded snapshot answers like a plain list of events
// -----------------------------------------------------------------------------

type Event =
  | { readonly _tag: "failure"; readonly task: string; readonly category: ErrorCategory; readonly time: number }
  | {
    readonly _tag: "retry"
    readonly task: string
    readonly category: ErrorCategory
    readonly wait: number
    readonly time: number
  }
  | {
    readonly _tag: "outcome"
    readonly task: string
    readonly outcome: RetryOutcome
    readonly category: ErrorCategory | undefined
    readonly retries: number
    readonly time: number
  }

type Op =
  | Event
  | { readonly _tag: "read"; readonly advance: number; readonly window: number; readonly task: string | undefined }
  | { readonly _tag: "cleanup"; readonly advance: number; readonly olderThan: number }

/** A `Clock` stopped at `millis`. */
const fixedClock = (millis: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => millis,
  currentTimeMillis: Effect.succeed(millis),
  unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
  currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
  sleep: () => Effect.void
})

const W = 1_000
const SAMPLES = 4
const tasks = ["a", "b", "c"]
const task = fc.constantFrom(...tasks)
const category = fc.constantFrom(...categories)
const time = fc.integer({ min: 0, max: 10 * W })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ _tag: fc.constant("failure" as const), task, category, time }),
  fc.record({ _tag: fc.constant("retry" as const), task, category, wait: fc.integer({ min: 0, max: 5000 }), time }),
  fc.record({
    _tag: fc.constant("outcome" as const),
    task,
    outcome: fc.constantFrom(...outcomes),
    category: fc.option(category, { nil: undefined }),
    retries: fc.integer({ min: 0, max: 3 }),
    time
  }),
  fc.record({
    _tag: fc.constant("read" as const),
    advance: fc.integer({ min: 0, max: 2 * W }),
    window: fc.integer({ min: 1, max: 12 * W }),
    task: fc.option(task, { nil: undefined })
  }),
  fc.record({
    _tag: fc.constant("cleanup" as const),
    advance: fc.integer({ min: 0, max: 2 * W }),
    olderThan: fc.integer({ min: 0, max: 8 * W })
  })
)

/** The reference: every event kept in a list, every answer computed from the list. */
class Reference {
  events: Array<Event> = []
  samples: Array<Event & { readonly _tag: "failure" }> = []

  record(e: Event) {
    this.events.push(e)
    if (e._tag === "failure") {
      this.samples.push(e)
      if (this.samples.length > SAMPLES) this.samples.shift()
    }
  }

  counters(filter: (e: Event) => boolean): Array<RetryStats.CategoryCounters> {
    const out = new Map<string, { -readonly [K in keyof RetryStats.CategoryCounters]: any }>()
    const get = (task: string, category: ErrorCategory | "none") => {
      const k = `${task}/${category}`
      let c = out.get(k)
      if (c === undefined) {
        c = { task, category, failures: 0, retries: 0, waitMillis: 0, recoveredAfterOneRetry: 0, outcomes: {} }
        out.set(k, c)
      }
      return c
    }
    for (const e of this.events) {
      if (!filter(e)) continue
      if (e._tag === "failure") get(e.task, e.category).failures++
      else if (e._tag === "retry") {
        const c = get(e.task, e.category)
        c.retries++
        c.waitMillis += e.wait
      } else {
        const c = get(e.task, e.category ?? "none")
        c.outcomes[e.outcome] = (c.outcomes[e.outcome] ?? 0) + 1
        if (e.outcome === "recovered" && e.retries === 1 && e.category !== undefined) c.recoveredAfterOneRetry++
      }
    }
    return [...out.values()]
  }

  window(now: number) {
    const from = this.events.length === 0 ? now : Math.min(...this.events.map((e) => e.time))
    return { from, to: Math.max(now, from) }
  }

  cleanup(cutoff: number): number {
    const dropped = (e: Event) => (Math.floor(e.time / W) + 1) * W <= cutoff
    const n = this.events.filter((e) => dropped(e) && e._tag === "failure").length
    this.events = this.events.filter((e) => !dropped(e))
    this.samples = this.samples.filter((s) => s.time >= cutoff)
    return n
  }

  windowCount(now: number, window: number, task: string | undefined): number {
    const index = Math.floor(now / W)
    const lowest = index - Math.max(1, Math.ceil(window / W)) + 1
    return this.events.filter((e) => {
      const i = Math.floor(e.time / W)
      return e._tag === "failure" && i >= lowest && i <= index && (task === undefined || e.task === task)
    }).length
  }
}

describe("RetryStats: property", () => {
  it("the folded snapshot answers like a list of every event, for analysis, windows, cleanup and samples", () =>
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const store = RetryStats.unsafeMake({
          bucketWidth: W,
          sampleSize: SAMPLES,
          retention: Infinity,
          metrics: false
        })
        const ref = new Reference()
        let now = 0
        const read = <A>(effect: Effect.Effect<A>) => Effect.runSync(Effect.withClock(effect, fixedClock(now)))
        const strip = ({ recentSamples, ...rest }: RetryStats.ErrorStatistics) => ({
          ...rest,
          recentSamples: recentSamples.map((s) => [s.task, s.category, s.time])
        })
        for (const o of ops) {
          switch (o._tag) {
            case "failure":
              store.unsafeRecordFailure(o.task, o.category, new Error("e"), 1, o.time)
              ref.record(o)
              break
            case "retry":
              store.unsafeRecordRetry(o.task, o.category, o.wait, o.time)
              ref.record(o)
              break
            case "outcome":
              store.unsafeRecordOutcome(o.task, o.outcome, o.category, o.retries, o.time)
              ref.record(o)
              break
            case "read": {
              now += o.advance
              const snapshot = read(store.snapshot)
              expect(RetryStats.analyze(snapshot, o.task)).toEqual(
                RetryStats.analysisFromCounters(
                  o.task,
                  ref.counters((e) => o.task === undefined || e.task === o.task),
                  ref.window(now)
                )
              )
              const expected = RetryStats.statisticsFromCounters(
                ref.counters(() => true),
                ref.samples.map((s) => ({
                  time: s.time,
                  task: s.task,
                  category: s.category,
                  tag: "Error",
                  message: "e",
                  attempt: 1
                })),
                ref.window(now)
              )
              expect(strip(RetryStats.statistics(snapshot))).toEqual(strip(expected))
              expect(RetryStats.windowCounts(snapshot, o.window, o.task).totalErrors).toBe(
                ref.windowCount(now, o.window, o.task)
              )
              break
            }
            case "cleanup": {
              now += o.advance
              const dropped = read(store.cleanupOldErrors(o.olderThan))
              expect(dropped).toBe(ref.cleanup(now - o.olderThan))
              break
            }
          }
        }
      }),
      { numRuns: 1000 }
    ))
})
