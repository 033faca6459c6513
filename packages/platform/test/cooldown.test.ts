/**
 * Shared cool-downs per host (issue 16): the transform opts every request in by default, keyed like
 * its budget (the host), and `cooldown: false` turns that off. Virtual time, a fake client.
 */
import { describe, expect, it } from "@effect/vitest"
import { InvalidPolicyError, RetryCooldown } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Cause, Effect, Exit, Fiber, Random, TestClock } from "effect"
import { fakeClient } from "./utils/fake.js"

/** Three requests: A to host H gets a 429 with Retry-After: 2 at 0; B to H and C to another host start at 500. */
const scenario = (options: IntelligentHttpClient.Options<any>) =>
  Effect.gen(function*() {
    const fake = fakeClient([{ status: 429, headers: { "retry-after": "2" } }])
    const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry(options))
    const a = yield* Effect.fork(client.get("https://carrier.example/track/1"))
    yield* TestClock.adjust("500 millis")
    const b = yield* Effect.fork(client.get("https://carrier.example/track/2"))
    const c = yield* Effect.fork(client.get("https://other.example/track/3"))
    yield* TestClock.adjust("10 seconds")
    for (const fiber of [a, b, c]) expect((yield* Fiber.join(fiber)).status).toBe(200)
    return fake.requests.map((request, i) => `${fake.times[i]} ${request.url}`)
  }).pipe(Effect.withRandom(Random.fixed([0.5])))

describe("shared cool-downs per host", () => {
  it.effect("by default, a request to a host after another's 429 with Retry-After: 2 waits for the hint", () =>
    Effect.gen(function*() {
      expect(yield* scenario({})).toEqual([
        "0 https://carrier.example/track/1",
        // another host is not held
        "500 https://other.example/track/3",
        // held until the hint expires, to the millisecond
        "2000 https://carrier.example/track/2",
        // A's retry: the hint plus its spread (10% of 2 s × 0.5)
        "2100 https://carrier.example/track/1"
      ])
    }))

  it.effect("cooldown: false sends at once", () =>
    Effect.gen(function*() {
      expect(yield* scenario({ cooldown: false })).toEqual([
        "0 https://carrier.example/track/1",
        "500 https://carrier.example/track/2",
        "500 https://other.example/track/3",
        "2100 https://carrier.example/track/1"
      ])
    }))

  it.effect("cooldown: false still holds under a RetryCooldown layer, which opts every run in", () =>
    Effect.gen(function*() {
      const times = yield* scenario({ cooldown: false }).pipe(Effect.provide(RetryCooldown.layer))
      expect(times).toContain("2000 https://carrier.example/track/2")
    }))

  it.effect("the key is the budget key: a custom budgetKey shares holds across hosts", () =>
    Effect.gen(function*() {
      const times = yield* scenario({ budgetKey: "carrier-api" })
      expect(times.slice(1, 3).sort()).toEqual([
        "2000 https://carrier.example/track/2",
        "2000 https://other.example/track/3"
      ])
    }))

  it("cooldown must be a boolean: every request dies with an InvalidPolicyError naming it", () => {
    const { client } = fakeClient([])
    // applying never throws
    const transformed = client.pipe(IntelligentHttpClient.withIntelligentRetry({ cooldown: "yes" as any }))
    const exit = Effect.runSyncExit(transformed.get("https://carrier.example/track/1"))
    expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(error).toBeInstanceOf(InvalidPolicyError)
    expect((error as InvalidPolicyError).message).toBe(`Invalid cooldown: must be a boolean, got "yes"`)
  })
})
