/**
 * Circuit breakers shared through a real Redis (REDIS_URL), each test under a unique key prefix.
 * Break lengths are short and real: the open time is the Redis server's clock.
 */
import {
  CircuitBreaker,
  CircuitOpenError,
  InvalidPolicyError,
  NetworkError,
  withCircuitBreaker
} from "@intelligent-retry/core"
import { RedisCircuitBreaker, RedisRetry } from "@intelligent-retry/redis"
import { Cause, Deferred, Duration, Effect, Exit, Layer, Logger, ManagedRuntime, Ref } from "effect"
import { Redis } from "ioredis"
import { afterAll, expect, it } from "vitest"
import { describeWithServices, serviceUrl } from "../../../test/services.js"

const prefix = () => `intelligent-retry-test:cb:${Date.now()}:${Math.random().toString(36).slice(2)}:`
const down = new NetworkError({ message: "connection reset" })
const options = { key: "carrier-api", breakDuration: 600 } as const

const runtimes: Array<ManagedRuntime.ManagedRuntime<any, any>> = []
const runtime = (layer: Layer.Layer<any, any>) => {
  const rt = ManagedRuntime.make(layer)
  runtimes.push(rt)
  return rt
}
afterAll(async () => {
  for (const rt of runtimes) await rt.dispose()
})

const isShed = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) && Cause.squash(exit.cause) instanceof CircuitOpenError

describeWithServices("RedisCircuitBreaker", ["redis"], () => {
  it(
    "two runtimes share one breaker: one opens it, the other is shed; after the break, one probe for both",
    async () => {
      const url = serviceUrl("redis")
      const keyPrefix = prefix()
      const a = runtime(RedisCircuitBreaker.layer({ url, keyPrefix }))
      const b = runtime(RedisCircuitBreaker.layer({ url, keyPrefix }))
      const calls = await Effect.runPromise(Ref.make(0))
      const call = <E>(result: E | "ok", gate?: Deferred.Deferred<void>) =>
        Ref.update(calls, (n) => n + 1).pipe(
          Effect.zipRight(gate === undefined ? Effect.void : Deferred.await(gate)),
          Effect.zipRight(result === "ok" ? Effect.succeed("ok" as const) : Effect.fail(result as E)),
          withCircuitBreaker(options),
          Effect.exit
        )

      // four failures in A: still closed for B...
      for (let i = 0; i < 4; i++) await a.runPromise(call(down))
      expect(await b.runPromise(CircuitBreaker.state("carrier-api"))).toBe("closed")
      // ...the fifth opens the fleet's breaker
      await a.runPromise(call(down))
      expect(await b.runPromise(CircuitBreaker.state("carrier-api"))).toBe("open")
      expect(await Effect.runPromise(Ref.get(calls))).toBe(5)

      const shed = await b.runPromise(call("ok"))
      expect(isShed(shed)).toBe(true)
      const error = Cause.squash((shed as Exit.Failure<unknown, unknown>).cause) as CircuitOpenError
      expect(error.key).toBe("carrier-api")
      expect(Duration.toMillis(error.retryAfter)).toBeGreaterThan(0)
      expect(Duration.toMillis(error.retryAfter)).toBeLessThanOrEqual(600)
      expect(await Effect.runPromise(Ref.get(calls))).toBe(5)

      await Effect.runPromise(Effect.sleep(Duration.millis(Duration.toMillis(error.retryAfter) + 50)))
      // 20 runs in each runtime at once: exactly one of the 40 probes
      const gate = await Effect.runPromise(Deferred.make<void>())
      const many = (rt: typeof a) =>
        rt.runPromise(Effect.forEach(Array.from({ length: 20 }), () => call("ok", gate), { concurrency: "unbounded" }))
      const both = Promise.all([many(a), many(b)])
      await Effect.runPromise(Effect.sleep("200 millis"))
      expect(await a.runPromise(CircuitBreaker.state("carrier-api"))).toBe("half_open")
      await Effect.runPromise(Deferred.succeed(gate, undefined))
      const exits = (await both).flat()
      expect(exits.filter(Exit.isSuccess).length).toBe(1)
      expect(exits.filter(isShed).length).toBe(39)
      expect(await Effect.runPromise(Ref.get(calls))).toBe(6)
      expect(await b.runPromise(CircuitBreaker.state("carrier-api"))).toBe("closed")

      // closed for both
      expect(Exit.isSuccess(await b.runPromise(call("ok")))).toBe(true)
      expect(Exit.isSuccess(await a.runPromise(call("ok")))).toBe(true)
    },
    20_000
  )

  it("RedisRetry.layer shares breakers too: one runtime's open breaker sheds the other's runs; one probe", async () => {
    const url = serviceUrl("redis")
    const keyPrefix = prefix()
    const a = runtime(RedisRetry.layer({ url, keyPrefix }))
    const b = runtime(RedisRetry.layer({ url, keyPrefix }))
    const calls = await Effect.runPromise(Ref.make(0))
    const call = <E>(result: E | "ok", gate?: Deferred.Deferred<void>) =>
      Ref.update(calls, (n) => n + 1).pipe(
        Effect.zipRight(gate === undefined ? Effect.void : Deferred.await(gate)),
        Effect.zipRight(result === "ok" ? Effect.succeed("ok" as const) : Effect.fail(result as E)),
        withCircuitBreaker(options),
        Effect.exit
      )
    for (let i = 0; i < 5; i++) await a.runPromise(call(down))
    const shed = await b.runPromise(call("ok"))
    expect(isShed(shed)).toBe(true)
    expect(await Effect.runPromise(Ref.get(calls))).toBe(5)
    const wait = Duration.toMillis(
      (Cause.squash((shed as Exit.Failure<unknown, unknown>).cause) as CircuitOpenError).retryAfter
    )
    await Effect.runPromise(Effect.sleep(Duration.millis(wait + 50)))
    const gate = await Effect.runPromise(Deferred.make<void>())
    const many = (rt: typeof a) =>
      rt.runPromise(Effect.forEach(Array.from({ length: 10 }), () => call("ok", gate), { concurrency: "unbounded" }))
    const both = Promise.all([many(a), many(b)])
    await Effect.runPromise(Effect.sleep("200 millis"))
    await Effect.runPromise(Deferred.succeed(gate, undefined))
    const exits = (await both).flat()
    expect(exits.filter(Exit.isSuccess).length).toBe(1)
    expect(exits.filter(isShed).length).toBe(19)
    expect(await b.runPromise(CircuitBreaker.state("carrier-api"))).toBe("closed")
  }, 20_000)

  it("a failed probe reopens the breaker for the whole fleet", async () => {
    const url = serviceUrl("redis")
    const keyPrefix = prefix()
    const a = runtime(RedisCircuitBreaker.layer({ url, keyPrefix }))
    const b = runtime(RedisCircuitBreaker.layer({ url, keyPrefix }))
    const fail = Effect.fail(down).pipe(withCircuitBreaker(options), Effect.exit)
    for (let i = 0; i < 5; i++) await a.runPromise(fail)
    await Effect.runPromise(Effect.sleep("700 millis"))
    const probe = await b.runPromise(fail)
    expect(isShed(probe)).toBe(false)
    expect(await a.runPromise(CircuitBreaker.state("carrier-api"))).toBe("open")
    expect(isShed(await a.runPromise(Effect.succeed(1).pipe(withCircuitBreaker(options), Effect.exit)))).toBe(true)
  }, 20_000)

  it("keys expire: nothing is left open forever", async () => {
    const url = serviceUrl("redis")
    const keyPrefix = prefix()
    const a = runtime(RedisCircuitBreaker.layer({ url, keyPrefix }))
    for (let i = 0; i < 5; i++) await a.runPromise(Effect.fail(down).pipe(withCircuitBreaker(options), Effect.exit))
    const redis = new Redis(url)
    try {
      const ttl = await redis.pttl(`${keyPrefix}cb:carrier-api`)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(3 * 600)
    } finally {
      redis.disconnect()
    }
  }, 20_000)

  it("Redis down: breakers work in-process, logged once, counted; no run fails because of Redis", async () => {
    const logs: Array<string> = []
    const logger = Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ message }) => logs.push(String(Array.isArray(message) ? message[0] : message)))
    )
    const store = await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const client = new Redis("redis://127.0.0.1:1", { enableOfflineQueue: false, lazyConnect: true })
        client.on("error", () => {})
        return yield* RedisCircuitBreaker.make(client, { timeout: 50 })
      }))
    )
    const rt = runtime(Layer.merge(Layer.succeed(CircuitBreaker.CircuitBreaker, store), logger))
    expect(Exit.isSuccess(await rt.runPromise(Effect.succeed(1).pipe(withCircuitBreaker(options), Effect.exit)))).toBe(
      true
    )
    for (let i = 0; i < 5; i++) await rt.runPromise(Effect.fail(down).pipe(withCircuitBreaker(options), Effect.exit))
    expect(isShed(await rt.runPromise(Effect.succeed(1).pipe(withCircuitBreaker(options), Effect.exit)))).toBe(true)
    expect(store.health().fallbacks).toBeGreaterThan(0)
    expect(logs.filter((l) => l.includes("Redis is unavailable")).length).toBe(1)
  }, 20_000)

  it("invalid options fail the layer with an InvalidPolicyError naming the field", async () => {
    for (
      const [opts, field] of [
        [{ url: "" }, "url"],
        [{ url: "redis://x", keyPrefix: 3 }, "keyPrefix"],
        [{ url: "redis://x", timeout: -1 }, "timeout"],
        [{ url: "redis://x", keyprefix: "a" }, "options.keyprefix"]
      ] as const
    ) {
      const exit = await Effect.runPromiseExit(Layer.build(RedisCircuitBreaker.layer(opts as any)).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
      expect(error).toBeInstanceOf(InvalidPolicyError)
      expect((error as InvalidPolicyError).field).toBe(field)
    }
  })
})
