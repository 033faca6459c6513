import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Layer, Logger, LogLevel, Ref, Schedule, TestClock } from "effect"
import type { ErrorCategory } from "../src/ErrorCategory.js"
import * as RetryConfig from "../src/RetryConfig.js"
import { NetworkError } from "../src/RetryErrors.js"
import { AlertSink, check, defaults, type RetryAlert, run } from "../src/RetryMonitor.js"
import { InvalidPolicyError } from "../src/RetryPolicy.js"
import * as RetryStats from "../src/RetryStats.js"
import { defectOf } from "./utils.js"

const MINUTE = 60_000

const failures = (task: string, category: ErrorCategory, n: number, error: unknown = new Error("boom")) =>
  Effect.gen(function*() {
    const stats = yield* RetryStats.RetryStats
    const now = yield* Clock.currentTimeMillis
    for (let i = 0; i < n; i++) stats.unsafeRecordFailure(task, category, error, 1, now)
  })

/** A sink that keeps every alert with the virtual time it arrived. */
const collecting = Effect.gen(function*() {
  const received = yield* Ref.make<Array<readonly [number, RetryAlert]>>([])
  const layer = AlertSink.layer((alert) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.update(received, (all) => [...all, [now, alert] as const]))
  )
  return { received, layer }
})

describe("RetryMonitor.check", () => {
  it.effect("no failures, no alert, and the sink is not called", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      expect(yield* check().pipe(Effect.provide(layer))).toEqual([])
      expect(yield* Ref.get(received)).toEqual([])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("total errors: alerts above ERROR_THRESHOLD (50), not at it", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      yield* TestClock.adjust("2 minutes")
      yield* failures("t", "network_error", 50)
      expect(yield* check().pipe(Effect.provide(layer))).toEqual([])
      yield* failures("t", "network_error", 1)
      const alerts = yield* check().pipe(Effect.provide(layer))
      expect(alerts).toHaveLength(1)
      expect(alerts[0]).toMatchObject({
        code: "ERROR_THRESHOLD_EXCEEDED",
        severity: "warning",
        observed: 51,
        threshold: 50,
        taskName: undefined,
        category: undefined,
        window: { from: -2 * MINUTE, to: 2 * MINUTE }
      })
      expect(alerts[0].message).toBe(
        "Retry monitor: 51 failed attempts in the last 5m, above the threshold of 50. Latest: Error: boom"
      )
      expect(alerts[0].samples).toHaveLength(3)
      expect((yield* Ref.get(received)).map(([, a]) => a)).toEqual(alerts)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("data errors: alerts above 10, as in the guide, critical above twice the threshold", () =>
    Effect.gen(function*() {
      const { layer } = yield* collecting
      yield* failures("t", "data_error", 10)
      expect(yield* check().pipe(Effect.provide(layer))).toEqual([])
      yield* failures("t", "data_error", 1)
      const [alert] = yield* check().pipe(Effect.provide(layer))
      expect(alert).toMatchObject({
        code: "CATEGORY_THRESHOLD_EXCEEDED",
        severity: "warning",
        category: "data_error",
        observed: 11,
        threshold: 10
      })
      yield* failures("t", "data_error", 10)
      expect((yield* check().pipe(Effect.provide(layer)))[0].severity).toBe("critical")
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("custom thresholds replace the defaults; alerts come total first, then by category order", () =>
    Effect.gen(function*() {
      const { layer } = yield* collecting
      yield* failures("t", "api_rate_limit", 4)
      yield* failures("t", "network_error", 3)
      yield* failures("t", "data_error", 20)
      const alerts = yield* check({
        errorThreshold: 5,
        categoryThresholds: { api_rate_limit: 3, network_error: 2 }
      }).pipe(Effect.provide(layer))
      expect(alerts.map((a) => [a.code, a.category, a.observed])).toEqual([
        ["ERROR_THRESHOLD_EXCEEDED", undefined, 27],
        ["CATEGORY_THRESHOLD_EXCEEDED", "network_error", 3],
        ["CATEGORY_THRESHOLD_EXCEEDED", "api_rate_limit", 4]
      ])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("counts only the window (whole buckets) and only the task asked for", () =>
    Effect.gen(function*() {
      const { layer } = yield* collecting
      yield* failures("old", "network_error", 100) // bucket [0, 1 min)
      yield* TestClock.setTime(5 * MINUTE) // the 5-minute window is buckets 1..5
      expect(yield* check().pipe(Effect.provide(layer))).toEqual([])
      yield* TestClock.setTime(5 * MINUTE - 1) // buckets 0..4
      expect(yield* check().pipe(Effect.provide(layer))).toHaveLength(1)
      yield* failures("other", "network_error", 60)
      expect(yield* check({ taskName: "old" }).pipe(Effect.provide(layer))).toHaveLength(1)
      const [alert] = yield* check({ taskName: "other", window: "1 minute" }).pipe(Effect.provide(layer))
      expect(alert).toMatchObject({ observed: 60, taskName: "other", window: { from: 4 * MINUTE, to: 5 * MINUTE - 1 } })
      expect(alert.message).toContain("for task \"other\"")
      expect(alert.samples.every((s) => s.task === "other")).toBe(true)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("alert messages and samples never carry secrets", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      const secret = "tok-9f8e7d6c5b4a"
      yield* failures(
        "t",
        "network_error",
        60,
        new NetworkError({
          message: `GET https://svc:${secret}@api.example.com/x?access_token=${secret} Authorization: Bearer ${secret}`,
          cause: { secret }
        })
      )
      yield* check().pipe(Effect.provide(layer))
      const all = yield* Ref.get(received)
      expect(all).toHaveLength(1)
      expect(JSON.stringify(all)).not.toContain(secret)
      expect(all[0][1].message).toContain("https://***@api.example.com/x?access_token=***")
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("the default sink logs a warning with Effect's logger", () =>
    Effect.gen(function*() {
      const logs: Array<[LogLevel.LogLevel, unknown]> = []
      const logger = Logger.make(({ logLevel, message }) => logs.push([logLevel, message]))
      yield* failures("t", "data_error", 11)
      yield* check().pipe(Effect.provide(Logger.add(logger)))
      expect(logs).toHaveLength(1)
      expect(logs[0][0]).toBe(LogLevel.Warning)
      expect(String(logs[0][1])).toMatch(/11 data_error failures in the last 5m, above the threshold of 10/)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a failing sink does not fail the check", () =>
    Effect.gen(function*() {
      yield* failures("t", "data_error", 11)
      const alerts = yield* check().pipe(Effect.provide(AlertSink.layer(() => Effect.die("sink down"))))
      expect(alerts).toHaveLength(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it("invalid options make check die with an InvalidPolicyError naming the field and the value", () => {
    const invalid = (options: unknown) => {
      // calling never throws; the effect dies when run
      const error = defectOf(check(options as any)) as InvalidPolicyError
      expect(error).toBeInstanceOf(InvalidPolicyError)
      return error
    }
    expect(invalid({ window: 0 }).message).toBe("Invalid window: must be a positive, finite duration, got 0")
    expect(invalid({ window: "-5 minutes" }).field).toBe("window")
    expect(invalid({ errorThreshold: -1 }).message).toBe(
      "Invalid errorThreshold: must be a non-negative finite number, got -1"
    )
    expect(invalid({ errorThreshold: Number.NaN }).message).toMatch(/got NaN$/)
    const misspelt = invalid({ categoryThresholds: { data_errors: 10 } })
    expect(misspelt.field).toBe("categoryThresholds.data_errors")
    expect(misspelt.message).toMatch(/"data_errors" is not a category.*got 10$/)
    expect(invalid({ categoryThresholds: { data_error: "10" } }).message).toMatch(
      /^Invalid categoryThresholds.data_error: .*got "10"$/
    )
    expect(invalid({ windw: "5 minutes" }).field).toBe("options.windw")
    expect(defaults.errorThreshold).toBe(50)
    expect(defaults.categoryThresholds).toEqual({ data_error: 10 })
  })
})

describe("RetryMonitor.run", () => {
  it.effect("checks at once, then every window; each failure is seen by exactly one check", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      const fiber = yield* Effect.fork(run().pipe(Effect.provide(layer)))
      yield* TestClock.adjust("2 minutes")
      yield* failures("t", "network_error", 60) // at 2 min: bucket 2
      yield* TestClock.adjust("1 minute")
      yield* failures("t", "data_error", 11) // at 3 min
      yield* TestClock.adjust("9 minutes") // checks at 0, 5 and 10 minutes so far
      yield* failures("t", "network_error", 51) // at 12 min
      yield* TestClock.adjust("8 minutes") // check at 15 and 20 min
      const all = (yield* Ref.get(received)).map((
        [time, a]
      ) => [time, a.status, a.code, a.category ?? null, a.observed])
      expect(all).toEqual([
        [5 * MINUTE, "firing", "ERROR_THRESHOLD_EXCEEDED", null, 71],
        [5 * MINUTE, "firing", "CATEGORY_THRESHOLD_EXCEEDED", "data_error", 11],
        [10 * MINUTE, "resolved", "ERROR_THRESHOLD_EXCEEDED", null, 0],
        [10 * MINUTE, "resolved", "CATEGORY_THRESHOLD_EXCEEDED", "data_error", 0],
        [15 * MINUTE, "firing", "ERROR_THRESHOLD_EXCEEDED", null, 51],
        [20 * MINUTE, "resolved", "ERROR_THRESHOLD_EXCEEDED", null, 0]
      ])
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a condition that holds pages when it starts, then once per cooldown (default 30 minutes), and resolves once", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      // every minute, over a 5-minute window; 11 data errors every minute for 70 minutes
      const fiber = yield* Effect.fork(run({ schedule: Schedule.spaced("1 minute") }).pipe(Effect.provide(layer)))
      for (let m = 0; m < 70; m++) {
        yield* failures("t", "data_error", 11)
        yield* TestClock.adjust("1 minute")
      }
      yield* TestClock.adjust("10 minutes")
      const all = (yield* Ref.get(received)).map(([time, a]) => [time / MINUTE, a.status, a.category ?? null])
      expect(all).toEqual([
        [0, "firing", "data_error"],
        [30, "firing", "data_error"],
        [60, "firing", "data_error"],
        [74, "resolved", "data_error"]
      ])
      expect((yield* Ref.get(received))[3][1].message).toBe(
        "Retry monitor: resolved: data_error failures are back at or below the threshold of 10 over the last 5m."
      )
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("runs on any schedule, fed the alerts of each check", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      yield* failures("t", "data_error", 11)
      // every minute, over a 15-minute window, three times in all
      const fiber = yield* Effect.fork(
        run({
          window: "15 minutes",
          cooldown: "1 minute",
          schedule: Schedule.spaced("1 minute").pipe(Schedule.compose(Schedule.recurs(2)))
        })
          .pipe(Effect.provide(layer))
      )
      yield* TestClock.adjust("10 minutes")
      const result = yield* Fiber.join(fiber)
      expect(result).toBe(2)
      expect((yield* Ref.get(received)).map(([time]) => time)).toEqual([0, MINUTE, 2 * MINUTE])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("honours the configured ERROR_THRESHOLD and MONITORING_ENABLED", () =>
    Effect.gen(function*() {
      const { layer, received } = yield* collecting
      yield* failures("t", "network_error", 6)
      const configured = RetryConfig.layerFromSettings({ ERROR_THRESHOLD: 5 })
      const [alert] = yield* check().pipe(Effect.provide(Layer.merge(layer, configured)), Effect.orDie)
      expect(alert).toMatchObject({ code: "ERROR_THRESHOLD_EXCEEDED", threshold: 5, observed: 6 })
      // an explicit option wins
      expect(yield* check({ errorThreshold: 6 }).pipe(Effect.provide(configured), Effect.orDie)).toEqual([])
      // switched off: the schedule runs, the ticks check nothing
      const off = RetryConfig.layerFromSettings({ ERROR_THRESHOLD: 5, MONITORING_ENABLED: false })
      yield* Ref.set(received, [])
      const fiber = yield* Effect.fork(
        run({ schedule: Schedule.recurs(2) }).pipe(Effect.provide(Layer.merge(layer, off)), Effect.orDie)
      )
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe(2)
      expect(yield* Ref.get(received)).toEqual([])
    }).pipe(Effect.provide(RetryStats.layer)))

  it("invalid options make run die with an InvalidPolicyError naming the field and the value", () => {
    const error = defectOf(run({ window: "never" as any })) as InvalidPolicyError
    expect(error).toBeInstanceOf(InvalidPolicyError)
    expect(error.message).toBe(`Invalid window: must be a positive, finite duration, got "never"`)
    expect((defectOf(run({ cooldown: -1 })) as InvalidPolicyError).field).toBe("cooldown")
  })

  it.effect("AlertSink.layerLog is the default sink", () =>
    Effect.gen(function*() {
      const sink = yield* AlertSink
      const byLayer = yield* Effect.provide(AlertSink, AlertSink.layerLog)
      expect(sink).toBe(byLayer)
    }).pipe(Effect.provide(Layer.empty)))
})
