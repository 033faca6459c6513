import { describe, expect, it } from "@effect/vitest"
import {
  IntelligentRetry,
  InvalidPolicyError,
  NetworkError,
  RateLimitError,
  RetryCooldown,
  RetryHandoff,
  RetryState,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Option, Random, TestClock } from "effect"
import { Holds } from "../src/internal/cooldown.js"
import { scripted } from "./utils.js"

const limited = new RateLimitError({ message: "429", retryAfter: Duration.seconds(2) })
const limitedFor = (seconds: number) => new RateLimitError({ message: "429", retryAfter: Duration.seconds(seconds) })

/** A network error retried after exactly `millis` (no jitter), once. */
const fixedNetwork = (millis: number) => ({
  network_error: {
    decision: "retry_with_backoff",
    maxRetries: 1,
    baseDelay: millis,
    maxDelay: "1 hour",
    backoffFactor: 1,
    jitter: false
  }
} as const)

const handoffOf = <A, E>(exit: Exit.Exit<A, E>): RetryHandoff => {
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  if (Option.isNone(failure) || !(failure.value instanceof RetryHandoff)) {
    throw new Error(`expected a RetryHandoff, got ${String(exit)}`)
  }
  return failure.value
}

/** Sets a cool-down of `seconds` on `key` at the current time: a run of `key` fails once with that hint. */
const holdKey = (key: string, seconds: number) =>
  Effect.fork(scripted([limitedFor(seconds)]).effect.pipe(withIntelligentRetry({ task: key })))

/** A run of `key` that records when each of its attempts starts, failing with a 2 s hint first. */
const runOf = (key: string, times: Array<number>, failFirst: boolean, options: { cooldown?: boolean } = {}) => {
  let n = 0
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    times.push(now)
    return failFirst && n++ === 0 ? Effect.fail(limited) : Effect.succeed("ok")
  }).pipe(withIntelligentRetry({ task: key, ...options }))
}

describe("RetryCooldown", () => {
  it("make checks its options: an InvalidPolicyError naming the field and the value", () => {
    expect(() => RetryCooldown.make({ optIn: "yes" as any })).toThrow(`Invalid optIn: must be a boolean, got "yes"`)
    expect(() => RetryCooldown.make(null as any)).toThrow(InvalidPolicyError)
    expect(() => RetryCooldown.make({ optIn: true, maxKeys: 3 } as any)).toThrow(/^Invalid options.maxKeys: /)
    expect(RetryCooldown.make({ optIn: false })).toBeDefined()
  })

  it.effect("under the layer, a 2 s hint seen by one run holds the first attempts of the key's other runs", () =>
    Effect.gen(function*() {
      const first: Array<number> = []
      const second: Array<number> = []
      const other: Array<number> = []
      yield* Effect.gen(function*() {
        const a = yield* Effect.fork(runOf("carrier", first, true))
        yield* TestClock.adjust("500 millis")
        const b = yield* Effect.fork(runOf("carrier", second, false))
        const c = yield* Effect.fork(runOf("another", other, false))
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(a)
        yield* Fiber.join(b)
        yield* Fiber.join(c)
      }).pipe(Effect.provide(RetryCooldown.layer))
      // the first run retries after its hint plus the spread (2 s + up to 200 ms)
      expect(first[0]).toBe(0)
      expect(first[1]).toBeGreaterThanOrEqual(2000)
      expect(second).toEqual([2000])
      expect(other).toEqual([500])
    }))

  it.effect("without the layer only runs with cooldown: true wait; the others pay nothing", () =>
    Effect.gen(function*() {
      const optedIn: Array<number> = []
      const plain: Array<number> = []
      const a = yield* Effect.fork(runOf("api-x", [], true))
      yield* TestClock.adjust("100 millis")
      const b = yield* Effect.fork(runOf("api-x", optedIn, false, { cooldown: true }))
      const c = yield* Effect.fork(runOf("api-x", plain, false))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      yield* Fiber.join(c)
      expect(optedIn).toEqual([2000])
      expect(plain).toEqual([100])
    }))

  it.effect("a retry whose wait ends inside another run's hold waits for the rest, and costs no retry", () =>
    Effect.gen(function*() {
      const slow = scripted([new NetworkError({ message: "reset" })])
      const retries: Array<number> = []
      yield* Effect.gen(function*() {
        // fails at 0, its policy retries after exactly 1 s
        const b = yield* Effect.fork(slow.effect.pipe(withIntelligentRetry({
          task: "carrier",
          strategies: fixedNetwork(1000),
          onRetry: (info) => Effect.sync(() => retries.push(Duration.toMillis(info.wait)))
        })))
        yield* TestClock.adjust("500 millis")
        // another run of the key gets a 429 with Retry-After: 2 at 500: the key is held until 2,500
        yield* holdKey("carrier", 2)
        yield* TestClock.adjust("10 seconds")
        expect(yield* Fiber.join(b)).toBe("ok")
      }).pipe(Effect.provide(RetryCooldown.layer))
      expect(slow.times).toEqual([0, 2500])
      // one retry, announced with its own wait; the hold added 1.5 s without another attempt
      expect(retries).toEqual([1000])
    }))

  it.effect("a hold counts against maxElapsed: a retry it would push past the cap stops the run, at once", () =>
    Effect.gen(function*() {
      const slow = scripted([new NetworkError({ message: "reset" }), new NetworkError({ message: "reset" })])
      const outcomes: Array<[string, number]> = []
      yield* Effect.gen(function*() {
        const b = yield* Effect.fork(Effect.exit(slow.effect.pipe(withIntelligentRetry({
          task: "capped",
          strategies: fixedNetwork(1000),
          maxElapsed: "5 seconds",
          onFailure: (info) => Effect.map(Clock.currentTimeMillis, (now) => outcomes.push([info.outcome, now]))
        }))))
        yield* TestClock.adjust("500 millis")
        // another run's 429 at 500 holds the key until 10,500: the retry due at 1,000 would wait to
        // 10,500, past the 5 s cap counted from the first failure at 0
        yield* holdKey("capped", 10)
        yield* TestClock.adjust("1 minute")
        const exit = yield* Fiber.join(b)
        expect(Exit.isFailure(exit)).toBe(true)
      }).pipe(Effect.provide(RetryCooldown.layer))
      expect(slow.times).toEqual([0])
      expect(outcomes).toEqual([["stopped_by_cap", 1000]])
    }))

  it.effect("a resumed run held past its maxElapsed still makes its attempt; only a failure meets the cap", () =>
    Effect.gen(function*() {
      // a run that failed once (at 0) and was handed off, resumed at 50 s while the key is held to 60 s
      const state = { ...RetryState.initial(0), attempts: 1, retries: { network_error: 1 } }
      const resume = (run: ReturnType<typeof scripted>) =>
        Effect.gen(function*() {
          const outcomes: Array<string> = []
          const fiber = yield* Effect.fork(Effect.exit(run.effect.pipe(IntelligentRetry.withHandoff({
            task: "resumed",
            strategies: { network_error: { ...fixedNetwork(1000).network_error, maxRetries: 3 } },
            after: "1 hour",
            maxElapsed: "55 seconds",
            cooldown: true,
            state,
            onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
          }))))
          yield* TestClock.adjust("1 minute")
          return { exit: yield* Fiber.join(fiber), outcomes }
        })
      yield* TestClock.setTime(45_000)
      yield* holdKey("resumed", 15)
      yield* TestClock.setTime(50_000)
      const succeeds = scripted([])
      const ok = yield* resume(succeeds)
      expect(ok.exit).toEqual(Exit.succeed("ok"))
      expect(succeeds.times).toEqual([60_000])
      expect(ok.outcomes).toEqual([])
      // the same, failing: the failure at 60 s is past the cap, and the run stops with it
      yield* TestClock.setTime(65_000)
      yield* holdKey("resumed", 15)
      yield* TestClock.setTime(70_000)
      const error = new NetworkError({ message: "reset" })
      const fails = scripted([error])
      const stopped = yield* resume(fails)
      expect(stopped.exit).toEqual(Exit.fail(error))
      expect(fails.times).toEqual([80_000])
      expect(stopped.outcomes).toEqual(["stopped_by_cap"])
    }))

  it.effect("a hold longer than the wait ceiling (from outside the process) holds nothing", () =>
    Effect.gen(function*() {
      // a registry fed by a hostile or misconfigured peer: the key held for 30 days
      const foreign = RetryCooldown.make({ optIn: true })
      const now = yield* Clock.currentTimeMillis
      const clock = yield* Effect.clock
      foreign.unsafeHold("far", now + 30 * 86_400_000, now, clock)
      const run = scripted([new NetworkError({ message: "reset" })])
      const fiber = yield* Effect.fork(run.effect.pipe(
        withIntelligentRetry({ task: "far", strategies: fixedNetwork(1000) }),
        Effect.provideService(RetryCooldown.RetryCooldown, foreign)
      ))
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toBe("ok")
      // neither the first attempt nor the retry waited for it
      expect(run.times.map((t) => t - now)).toEqual([0, 1000])
    }))

  it.effect("a run's own hint never holds it longer than its policy: an isolated run waits exactly as without", () =>
    Effect.gen(function*() {
      const timesWith = (layer: boolean) =>
        Effect.gen(function*() {
          const run = scripted([limitedFor(2), limitedFor(3), new NetworkError({ message: "reset" })])
          const effect = run.effect.pipe(withIntelligentRetry({ task: "alone", cooldown: true }))
          const fiber = yield* Effect.fork(layer ? Effect.provide(effect, RetryCooldown.layer) : effect)
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(fiber)
          return run.times
        }).pipe(Effect.withRandom(Random.fixed([0.25, 0.5, 0.75])))
      const held = yield* timesWith(true)
      const start = held[0]
      // 2 s + 10% spread × 0.25, then 3 s + 10% × 0.5, then the network policy's immediate retry
      expect(held.map((t) => t - start)).toEqual([0, 2050, 2050 + 3150, 2050 + 3150])
      const plain = yield* timesWith(false)
      expect(plain.map((t) => t - plain[0])).toEqual(held.map((t) => t - start))
    }))

  it.effect("under withHandoff (after 5 s), a 60 s cool-down hands off before the first attempt", () =>
    Effect.gen(function*() {
      const run = scripted([])
      const handoff = handoffOf(
        yield* Effect.gen(function*() {
          yield* holdKey("carrier", 60)
          yield* TestClock.adjust("1 second")
          const fiber = yield* Effect.fork(
            run.effect.pipe(IntelligentRetry.withHandoff({ task: "carrier", after: "5 seconds" }), Effect.exit)
          )
          yield* TestClock.adjust(0)
          return yield* Fiber.join(fiber)
        }).pipe(Effect.provide(RetryCooldown.layer))
      )
      expect(run.times).toEqual([])
      expect(handoff.resumeAt).toBe(60_000)
      expect(Duration.toMillis(handoff.wait)).toBe(59_000)
      expect(handoff.category).toBe("api_rate_limit")
      expect(handoff.state.attempts).toBe(0)
      expect(handoff.error).toBeUndefined()
      // resumed at its time, the run makes its first attempt and succeeds
      yield* TestClock.setTime(handoff.resumeAt)
      const resumed = yield* run.effect.pipe(
        IntelligentRetry.withHandoff({ task: "carrier", after: "5 seconds", state: handoff.state, cooldown: true })
      )
      expect(resumed).toBe("ok")
      expect(run.times).toEqual([60_000])
    }))

  it.effect("under withHandoff (after 5 s), a 2 s cool-down is waited for, then the run goes on", () =>
    Effect.gen(function*() {
      const run = scripted([])
      const result = yield* Effect.gen(function*() {
        yield* holdKey("carrier", 2)
        const fiber = yield* Effect.fork(
          run.effect.pipe(IntelligentRetry.withHandoff({ task: "carrier", after: "5 seconds" }))
        )
        yield* TestClock.adjust("10 seconds")
        return yield* Fiber.join(fiber)
      }).pipe(Effect.provide(RetryCooldown.layer))
      expect(result).toBe("ok")
      expect(run.times).toEqual([2000])
    }))

  it.effect("a cool-down that a held run sees extended is waited for to its new end", () =>
    Effect.gen(function*() {
      const run = scripted([])
      yield* Effect.gen(function*() {
        yield* holdKey("carrier", 2)
        const fiber = yield* Effect.fork(run.effect.pipe(withIntelligentRetry({ task: "carrier" })))
        yield* TestClock.adjust("1 second")
        // at 1 s, another process's 429 (through a shared store) extends the hold to 4 s
        const registry = yield* RetryCooldown.RetryCooldown
        registry.unsafeHold("carrier", 4000, 1000, yield* Effect.clock)
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(fiber)
      }).pipe(Effect.provide(RetryCooldown.layer))
      expect(run.times).toEqual([4000])
    }))

  it.effect("the default registry keeps one set of holds per Clock", () =>
    Effect.gen(function*() {
      const registry = yield* RetryCooldown.RetryCooldown
      const clock = yield* Effect.clock
      const other = Clock.make()
      registry.unsafeHold("per-clock", 60_000, 0, clock)
      expect(registry.unsafeUntil("per-clock", 0, clock)).toBe(60_000)
      expect(registry.unsafeUntil("per-clock", 0, other)).toBeUndefined()
    }))

  // The next two run in order: the first leaves a 60 s hold at virtual time 0 of its TestClock.
  it.effect("a hold set under one test's TestClock ... (1/2: set)", () =>
    Effect.gen(function*() {
      yield* holdKey("leak-check", 60)
      yield* TestClock.adjust(0)
      const registry = yield* RetryCooldown.RetryCooldown
      expect(registry.unsafeUntil("leak-check", 0, yield* Effect.clock)).toBe(60_000)
    }))

  it.effect("... never holds a run under the next test's (2/2)", () =>
    Effect.gen(function*() {
      const run = scripted([])
      const fiber = yield* Effect.fork(run.effect.pipe(withIntelligentRetry({ task: "leak-check", cooldown: true })))
      yield* TestClock.adjust(0)
      yield* Fiber.join(fiber)
      expect(run.times).toEqual([0])
    }))

  it("a registry holds at most maxKeys keys: expired holds are pruned first, then the one that ends first", () => {
    const holds = new Holds(3)
    holds.hold("a", 10, 0)
    holds.hold("b", 30, 0)
    holds.hold("c", 20, 0)
    holds.hold("d", 40, 15) // "a" has expired: pruned
    expect([holds.size, holds.get("a", 15), holds.get("b", 15), holds.get("c", 15), holds.get("d", 15)])
      .toEqual([3, undefined, 30, 20, 40])
    holds.hold("e", 50, 15) // none expired: "c" ends first, dropped
    expect([holds.size, holds.get("c", 15), holds.get("b", 15), holds.get("e", 15)]).toEqual([3, undefined, 30, 50])
    // a later end wins; an earlier one changes nothing
    holds.hold("b", 25, 15)
    expect(holds.get("b", 15)).toBe(30)
    holds.hold("b", 35, 15)
    expect(holds.get("b", 15)).toBe(35)
  })

  it.effect("cooldown must be a boolean", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.void.pipe(withIntelligentRetry({ cooldown: "yes" as any })))
      expect(exit._tag === "Failure" && String(exit.cause)).toContain("Invalid cooldown")
    }))
})
