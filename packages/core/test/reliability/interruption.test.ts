/**
 * Interruption and resources, under `TestClock`: a resource acquired inside the retried effect is
 * released after every attempt, before the wait; interrupting a run (during a wait, an attempt or
 * a callback, or by a timeout around it) runs every finalizer, makes no further attempt and
 * records the outcome `interrupted`.
 */
import { describe, expect, it } from "@effect/vitest"
import { NetworkError, RetryBudget, RetryStats, TemporaryError, withIntelligentRetry } from "@intelligent-retry/core"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Logger, LogLevel, Random, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import { ms, n, section } from "../../../../test/reliability/report.js"
import { VirtualClock } from "../../../../test/reliability/virtualClock.js"

const report = section({ id: "05-interruption", order: 5, title: "Interruption and resources" })

/** A log of what happened, with the virtual time of each event. */
const journal = () => {
  const events: Array<string> = []
  const log = (event: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => events.push(`${t} ${event}`)))
  return { events, log }
}

/**
 * An attempt that acquires a connection, uses it, and fails with `errors[i]` or succeeds; the
 * connection is released when the attempt ends, whatever the end. `hold` keeps it for a while.
 */
const attemptWithResource = (
  errors: ReadonlyArray<unknown>,
  log: (event: string) => Effect.Effect<void>,
  counts: { acquired: number; released: number; attempts: number },
  hold: (attempt: number) => Duration.DurationInput = () => 0
) =>
  Effect.suspend(() => {
    const attempt = ++counts.attempts
    return Effect.scoped(
      Effect.acquireRelease(
        Effect.zipRight(log(`acquire ${attempt}`), Effect.sync(() => ++counts.acquired)),
        () => Effect.zipRight(log(`release ${attempt}`), Effect.sync(() => void counts.released++))
      ).pipe(
        Effect.zipLeft(Effect.sleep(hold(attempt))),
        Effect.flatMap(() => attempt <= errors.length ? Effect.fail(errors[attempt - 1]) : Effect.succeed(attempt))
      )
    )
  })

const waits = {
  network_error: { decision: "retry_with_delay", maxRetries: 5, baseDelay: 1_000, backoffFactor: 1 },
  temporary_error: { decision: "retry_with_backoff", maxRetries: 3, baseDelay: 500, backoffFactor: 2 }
} as const

const outcomes = Effect.map(RetryStats.analyzeTaskErrors("interruption"), (a) => a.outcomes)

describe("resources inside the retried effect", () => {
  it.effect("acquireRelease is released after every attempt, before the wait: acquisitions = releases = attempts", () =>
    Effect.gen(function*() {
      const { events, log } = journal()
      const counts = { acquired: 0, released: 0, attempts: 0 }
      const errors = [new NetworkError({ message: "reset" }), new NetworkError({ message: "reset" })]
      const fiber = yield* Effect.fork(
        attemptWithResource(errors, log, counts, () => "200 millis").pipe(
          withIntelligentRetry({ task: "interruption", strategies: waits })
        )
      )
      yield* TestClock.adjust("1 hour")
      expect(yield* Fiber.join(fiber)).toBe(3)
      expect(events).toEqual([
        "0 acquire 1",
        "200 release 1",
        // the wait (1 s) starts only after the release
        "1200 acquire 2",
        "1400 release 2",
        "2400 acquire 3",
        "2600 release 3"
      ])
      expect((yield* outcomes).recovered).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it("a property over random scripts: every attempt releases what it acquired before the next begins (3,000 runs)", () => {
    const errors = fc.array(
      fc.constantFrom(
        new NetworkError({ message: "reset" }),
        new TemporaryError({ message: "503" }),
        { status: 404 },
        "acquire-fails"
      ),
      { maxLength: 8 }
    )
    const RUNS = 3_000
    let attempts = 0
    let acquireFailures = 0
    const start = performance.now()
    fc.assert(
      fc.property(errors, fc.integer({ min: 0, max: 3 }), (script, holdMillis) => {
        const { events, log } = journal()
        const counts = { acquired: 0, released: 0, attempts: 0 }
        // "acquire-fails": the acquisition itself fails, so there is nothing to release
        const attempt = Effect.suspend(() =>
          script[counts.attempts] === "acquire-fails"
            ? Effect.zipRight(
              Effect.sync(() => ++counts.attempts),
              Effect.fail(new NetworkError({ message: "connect" }))
            )
            : attemptWithResource(script, log, counts, () => holdMillis)
        )
        // synchronous under the virtual clock, whose times equal TestClock's (see the properties section)
        Effect.runSyncExit(
          attempt.pipe(
            withIntelligentRetry({ strategies: waits }),
            Effect.provideService(RetryStats.RetryStats, RetryStats.noop),
            Effect.withClock(new VirtualClock()),
            // the library's INFO line per retry, 3,000 runs of it, would fill the test's output
            Logger.withMinimumLogLevel(LogLevel.Warning)
          )
        )
        expect(counts.released).toBe(counts.acquired)
        // strictly alternating: acquire n, release n, acquire n+1, ...; a release never after the next acquisition
        for (let i = 0; i < events.length; i += 2) {
          expect(events[i]).toMatch(/ acquire \d+$/)
          expect(events[i + 1]?.split(" ").slice(1)).toEqual(["release", events[i].split(" ")[2]])
        }
        attempts += counts.attempts
        if (script.includes("acquire-fails")) acquireFailures++
      }),
      { numRuns: RUNS, seed: 11 }
    )
    report.add({
      tried: "Effect.acquireRelease + Effect.scoped inside the retried effect",
      inputs: `a fixed script (2 resets, held 200 ms; exact timestamps) and ${n(RUNS)} random scripts of up to 8 ` +
        "failures (resets, 503s, 404s, acquisitions that fail), holds of 0–3 ms",
      faults: "failures while the resource is held; the acquisition itself failing",
      load: `${n(attempts)} attempts`,
      measured: "acquisitions = releases in every run; every release precedes the wait and the next acquisition; " +
        `${n(acquireFailures)} runs had a failing acquisition and released nothing extra`,
      timing: ms(performance.now() - start)
    })
  })
})

describe("interruption", () => {
  const interruptAt = (
    at: Duration.DurationInput,
    options: {
      readonly hold?: (attempt: number) => Duration.DurationInput
      readonly onRetrySleep?: Duration.DurationInput
    } = {}
  ) =>
    Effect.gen(function*() {
      const { events, log } = journal()
      const counts = { acquired: 0, released: 0, attempts: 0 }
      let outer = 0
      const errors = Array.from({ length: 5 }, () => new NetworkError({ message: "reset" }))
      const fiber = yield* Effect.fork(
        attemptWithResource(errors, log, counts, options.hold).pipe(
          withIntelligentRetry({
            task: "interruption",
            strategies: waits,
            onRetry: () => options.onRetrySleep === undefined ? Effect.void : Effect.sleep(options.onRetrySleep)
          }),
          Effect.ensuring(Effect.sync(() => outer++))
        )
      )
      yield* TestClock.adjust(at)
      const exit = yield* Fiber.interrupt(fiber)
      const attemptsAtInterrupt = counts.attempts
      // time goes on: nothing may happen any more
      yield* TestClock.adjust("1 day")
      return { exit, counts, outer, attemptsAtInterrupt, events, outcomes: yield* outcomes }
    }).pipe(Effect.provide(RetryStats.layer))

  it.effect("during a wait: finalizers run, no further attempt, outcome interrupted", () =>
    Effect.gen(function*() {
      // attempt 1 at 0, fails; wait 1 s; attempt 2 at 1000, fails; interrupted at 1500, in the second wait
      const r = yield* interruptAt("1500 millis")
      expect(Exit.isInterrupted(r.exit)).toBe(true)
      expect(r.attemptsAtInterrupt).toBe(2)
      expect(r.counts.attempts).toBe(2)
      expect(r.counts.released).toBe(r.counts.acquired)
      expect(r.outer).toBe(1)
      expect(r.outcomes.interrupted).toBe(1)
      expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0)).toBe(1)
      report.add({
        tried: "interrupting a run during a wait",
        inputs: "network errors retried every 1 s; interrupted at 1.5 s, in the second wait",
        faults: "Fiber.interrupt",
        load: "then 1 day of virtual time",
        measured:
          `attempts ${r.counts.attempts} (none after the interruption); acquired ${r.counts.acquired}, released ${r.counts.released}; outer finalizer ran ${r.outer}×; outcomes recorded: interrupted ${r.outcomes.interrupted}, others 0`
      })
    }))

  it.effect("during an attempt: the attempt's resource is released, no further attempt, outcome interrupted", () =>
    Effect.gen(function*() {
      // attempt 1 at 0 (held 100 ms), fails at 100; attempt 2 at 1100, held 10 s; interrupted at 5000
      const r = yield* interruptAt("5 seconds", { hold: (attempt) => attempt === 1 ? "100 millis" : "10 seconds" })
      expect(Exit.isInterrupted(r.exit)).toBe(true)
      expect(r.counts.attempts).toBe(2)
      expect(r.counts.acquired).toBe(2)
      expect(r.counts.released).toBe(2)
      expect(r.events).toEqual(["0 acquire 1", "100 release 1", "1100 acquire 2", "5000 release 2"])
      expect(r.outer).toBe(1)
      expect(r.outcomes.interrupted).toBe(1)
      report.add({
        tried: "interrupting a run during its second attempt, which holds a resource",
        inputs: "attempt 2 holds a connection for 10 s; interrupted at 5 s",
        faults: "Fiber.interrupt",
        load: "then 1 day of virtual time",
        measured:
          `released at the interruption (5000 ms); attempts ${r.counts.attempts}; acquired ${r.counts.acquired} = ` +
          `released ${r.counts.released}; outcome interrupted ${r.outcomes.interrupted}`
      })
    }))

  it.effect("during the onRetry callback: no further attempt, outcome interrupted", () =>
    Effect.gen(function*() {
      const r = yield* interruptAt("500 millis", { onRetrySleep: "2 seconds" })
      expect(r.counts.attempts).toBe(1)
      expect(r.counts.released).toBe(1)
      expect(r.outer).toBe(1)
      expect(r.outcomes.interrupted).toBe(1)
      report.add({
        tried: "interrupting a run while its onRetry callback runs",
        inputs: "onRetry sleeping 2 s; interrupted at 0.5 s",
        faults: "Fiber.interrupt",
        load: "then 1 day of virtual time",
        measured: `attempts ${r.counts.attempts}; acquired ${r.counts.acquired} = released ${r.counts.released}; ` +
          `outcome interrupted ${r.outcomes.interrupted}`
      })
    }))

  it.effect("during the first attempt: finalizers run, no retry, and (as documented) no outcome is recorded", () =>
    Effect.gen(function*() {
      const r = yield* interruptAt("1 second", { hold: () => "10 seconds" })
      expect(r.counts.attempts).toBe(1)
      expect(r.counts.released).toBe(1)
      expect(r.outer).toBe(1)
      // `interrupted` is "the run was interrupted after its first failure": before it, nothing is recorded
      expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0)).toBe(0)
      report.add({
        tried: "interrupting a run during its first attempt",
        inputs: "attempt 1 holds a connection for 10 s; interrupted at 1 s",
        faults: "Fiber.interrupt",
        load: "then 1 day of virtual time",
        measured:
          `attempts ${r.counts.attempts}; released ${r.counts.released}; outer finalizer ${r.outer}×; no outcome ` +
          "recorded (documented: `interrupted` counts runs interrupted after their first failure)"
      })
    }))

  it.effect("Effect.timeout around the whole run: a TimeoutException during a wait, finalizers run, outcome interrupted", () =>
    Effect.gen(function*() {
      const { events, log } = journal()
      const counts = { acquired: 0, released: 0, attempts: 0 }
      let outer = 0
      const errors = Array.from({ length: 5 }, () => new TemporaryError({ message: "503" }))
      const fiber = yield* Effect.fork(
        attemptWithResource(errors, log, counts, () => "50 millis").pipe(
          withIntelligentRetry({ task: "interruption", strategies: waits }),
          Effect.ensuring(Effect.sync(() => outer++)),
          Effect.timeout("1200 millis")
        )
      )
      yield* TestClock.adjust("1 day")
      const exit = yield* Fiber.await(fiber)
      // attempts at 0 and 550 (wait 500), then a wait of 1000 from 600 is cut at 1200
      expect(Exit.isFailure(exit) && Cause.isTimeoutException(Cause.squash(exit.cause))).toBe(true)
      expect(events).toEqual(["0 acquire 1", "50 release 1", "550 acquire 2", "600 release 2"])
      expect(counts.attempts).toBe(2)
      expect(outer).toBe(1)
      const o = yield* outcomes
      expect(o.interrupted).toBe(1)
      expect(Object.values(o).reduce((a, b) => a + b, 0)).toBe(1)
      report.add({
        tried: "Effect.timeout around the whole retried effect",
        inputs: "503s backed off 500 ms, 1 s, …; each attempt holds a resource 50 ms; timeout 1.2 s",
        faults: "the timeout fires during the second wait",
        load: "1 day of virtual time",
        measured:
          `TimeoutException at 1,200 ms; attempts ${counts.attempts}; acquired ${counts.acquired} = released ${counts.released}; outer finalizer ${outer}×; outcome interrupted ${o.interrupted}, nothing else`
      })
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("Effect.timeout cutting an attempt short: its resource is released, no further attempt", () =>
    Effect.gen(function*() {
      const { events, log } = journal()
      const counts = { acquired: 0, released: 0, attempts: 0 }
      const errors = [new TemporaryError({ message: "503" })]
      const fiber = yield* Effect.fork(
        attemptWithResource(errors, log, counts, (attempt) => attempt === 1 ? 0 : "1 hour").pipe(
          withIntelligentRetry({ task: "interruption", strategies: waits }),
          Effect.timeout("10 seconds")
        )
      )
      yield* TestClock.adjust("1 day")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(events).toEqual(["0 acquire 1", "0 release 1", "500 acquire 2", "10000 release 2"])
      expect((yield* outcomes).interrupted).toBe(1)
      report.add({
        tried: "Effect.timeout cutting a hung attempt short",
        inputs: "attempt 2 holds a connection for 1 hour; timeout 10 s around the whole run",
        faults: "the timeout fires during an attempt",
        load: "1 day of virtual time",
        measured: `the connection released at 10,000 ms; attempts ${counts.attempts}; outcome interrupted 1`
      })
    }).pipe(Effect.provide(RetryStats.layer)))

  it("100 runs interrupted at random times: no attempt after the interruption, every resource released, one outcome each", async () => {
    // TestClock wakes one sleeper at a time, with a real setTimeout between wake-ups: 100 runs keep this short
    const RUNS = 100
    const start = performance.now()
    const result = await Effect.gen(function*() {
      const counts = Array.from({ length: RUNS }, () => ({ acquired: 0, released: 0, attempts: 0 }))
      const noop = () => Effect.void
      const fibers = yield* Effect.forEach(counts, (c, i) =>
        Effect.fork(
          attemptWithResource(Array.from({ length: 6 }, () => new NetworkError({ message: "reset" })), noop, c, () =>
            `${(i * 37) % 300} millis`).pipe(withIntelligentRetry({ task: "interruption", strategies: waits }))
        ))
      // interrupt each run at a pseudo-random instant, on a 50 ms grid: during an attempt or during a wait
      const random = Random.make(5)
      const plan = yield* Effect.forEach(
        fibers,
        (fiber, i) => Effect.map(random.nextIntBetween(1, 120), (step) => ({ at: step * 50, fiber, i }))
      )
      const byTime = new Map<
        number,
        Array<{ readonly fiber: Fiber.RuntimeFiber<number, unknown>; readonly i: number }>
      >()
      for (const p of plan) byTime.set(p.at, [...(byTime.get(p.at) ?? []), p])
      let now = 0
      let late = 0
      // a run interrupted before its first attempt failed records nothing
      const beforeFirstFailure = plan.filter(({ at, i }) => at < (i * 37) % 300).length
      for (const at of [...byTime.keys()].sort((a, b) => a - b)) {
        yield* TestClock.adjust(at - now)
        now = at
        for (const { fiber, i } of byTime.get(at)!) {
          const before = counts[i].attempts
          yield* Fiber.interrupt(fiber)
          if (counts[i].attempts !== before) late++
        }
      }
      const atEnd = counts.map((c) => c.attempts)
      yield* TestClock.adjust("1 day")
      const after = counts.filter((c, i) => c.attempts !== atEnd[i]).length
      const sum = (f: (c: typeof counts[number]) => number) => counts.reduce((a, c) => a + f(c), 0)
      return {
        attempts: sum((c) => c.attempts),
        acquired: sum((c) => c.acquired),
        released: sum((c) => c.released),
        unbalanced: counts.filter((c) => c.acquired !== c.released).length,
        beforeFirstFailure,
        after,
        late,
        outcomes: yield* outcomes
      }
    }).pipe(
      Effect.provide(RetryStats.layer),
      // 100 runs failing together would meet the default budget; this test is about interruption
      Effect.provide(RetryBudget.layerNone),
      Effect.provide(TestContext.TestContext),
      Logger.withMinimumLogLevel(LogLevel.Warning),
      Effect.runPromise
    )
    const elapsed = performance.now() - start
    expect(result.after).toBe(0)
    expect(result.late).toBe(0)
    expect(result.unbalanced).toBe(0)
    expect(result.released).toBe(result.acquired)
    const total = Object.values(result.outcomes).reduce((a, b) => a + b, 0)
    // a run interrupted in its first attempt records nothing; every other run records exactly one outcome
    expect(result.outcomes.interrupted + result.outcomes.exhausted).toBe(total)
    expect(total).toBe(RUNS - result.beforeFirstFailure)
    report.add({
      tried: "100 concurrent runs interrupted at random instants",
      inputs: "6 resets each, retried every 1 s; attempts hold a resource 0–299 ms; interruptions at 50–6,000 ms",
      faults: "Fiber.interrupt during attempts and waits",
      load: `${n(RUNS)} concurrent runs under TestClock, then 1 day`,
      measured: `attempts ${n(result.attempts)}, none after its run's interruption; acquired ${n(result.acquired)} = ` +
        `released ${n(result.released)} (every run balanced); outcomes: interrupted ${
          n(result.outcomes.interrupted)
        }, ` +
        `exhausted ${n(result.outcomes.exhausted)}, none for the ${n(result.beforeFirstFailure)} runs interrupted ` +
        "before their first failure",
      timing: ms(elapsed)
    })
  })
})
