/**
 * Virtual-time tests (a fake client, TestClock): long server hints honoured to the millisecond,
 * task names, budget keys, idempotency, option validation.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import {
  type IntelligentRetry,
  InvalidPolicyError,
  RetryBudget,
  RetryStats,
  type Strategies
} from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Cause, Duration, Effect, Exit, Logger, Random, Stream, TestClock } from "effect"
import { fakeClient, runVirtual } from "./utils/fake.js"

/** Rate limits wait 1 s unless the server asks for more, up to 30 minutes. */
const rateLimited: Strategies.StrategyTableInput = {
  api_rate_limit: {
    decision: "retry_with_delay",
    maxRetries: 3,
    baseDelay: "1 second",
    maxDelay: "30 minutes",
    backoffFactor: 1
  }
}

/** 2025-01-01T00:00:00Z: a realistic "now" for HTTP-dates and epoch resets. */
const T0 = Date.UTC(2025, 0, 1)

const get = (
  script: Parameters<typeof fakeClient>[0],
  options: IntelligentHttpClient.Options<any> = {},
  url = "https://carrier.example/track/1Z999AA10123456784"
) => {
  const fake = fakeClient(script)
  const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: rateLimited, ...options }))
  return { ...fake, effect: client.get(url) }
}

describe("server hints, in virtual time", () => {
  it.effect("Retry-After: 120 is honoured to the millisecond", () =>
    Effect.gen(function*() {
      const waits: Array<IntelligentRetry.RetryInfo<unknown>> = []
      const { effect, times } = get([{ status: 429, headers: { "retry-after": "120" } }, { status: 200 }], {
        onRetry: (info) => Effect.sync(() => waits.push(info))
      })
      const exit = yield* runVirtual(effect)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(times).toEqual([0, 120_000])
      expect(waits.map((i) => [i.category, Duration.toMillis(i.wait), Duration.toMillis(i.hint!)])).toEqual([
        ["api_rate_limit", 120_000, 120_000]
      ])
    }))

  it.effect("Retry-After as an HTTP-date: waits until that date", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const date = new Date(T0 + 95_000).toUTCString()
      const { effect, times } = get([{ status: 503, headers: { "retry-after": date } }, { status: 200 }], {
        strategies: {
          temporary_error: { decision: "retry_with_backoff", baseDelay: "1 second", maxDelay: "5 minutes" }
        }
      })
      yield* runVirtual(effect)
      expect(times).toEqual([T0, T0 + 95_000])
    }))

  it.effect("a past HTTP-date means no extra wait: the policy's delay applies", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { effect, times } = get([
        { status: 429, headers: { "retry-after": new Date(T0 - 60_000).toUTCString() } },
        { status: 200 }
      ])
      yield* runVirtual(effect)
      expect(times).toEqual([T0, T0 + 1000])
    }))

  it.effect("RateLimit t=, X-RateLimit-Reset (epoch seconds), and Retry-After winning over both", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const cases: ReadonlyArray<readonly [(now: number) => Record<string, string>, number]> = [
        [() => ({ ratelimit: "\"default\";r=0;t=60" }), 60_000],
        [(now) => ({ "x-ratelimit-reset": String(now / 1000 + 45) }), 45_000],
        [(now) => ({
          "retry-after": "10",
          ratelimit: "\"default\";r=0;t=60",
          "x-ratelimit-reset": String(now / 1000 + 45)
        }), 10_000],
        [() => ({ "retry-after": "soon", ratelimit: "\"default\";r=0;t=7" }), 7_000],
        [() => ({ "retry-after": "soon" }), 1_000]
      ]
      for (const [makeHeaders, wait] of cases) {
        const start = yield* TestClock.currentTimeMillis
        const headers = makeHeaders(start)
        const { effect, times } = get([{ status: 429, headers }, { status: 200 }])
        yield* runVirtual(effect, "1 hour")
        expect([headers, times.map((t) => t - start)]).toEqual([headers, [0, wait]])
      }
    }))

  it.effect("a hint above maxDelay: no retry, the 429 surfaces at once", () =>
    Effect.gen(function*() {
      const failures: Array<IntelligentRetry.FailureInfo<unknown>> = []
      const { effect, times } = get([{ status: 429, headers: { "retry-after": "3600" } }, { status: 200 }], {
        onFailure: (info) => Effect.sync(() => failures.push(info))
      })
      const exit = yield* runVirtual(effect)
      expect(times).toEqual([0])
      expect(Exit.isFailure(exit)).toBe(true)
      expect(failures.map((f) => [f.category, f.outcome, f.attempts])).toEqual([
        ["api_rate_limit", "hint_exceeds_max_delay", 1]
      ])
    }))

  it.effect("with the default table a hint is followed exactly, plus its spread, below the 300 s base (issue 16)", () =>
    Effect.gen(function*() {
      const fake = fakeClient([{ status: 429, headers: { "retry-after": "120" } }, { status: 200 }])
      const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry())
      yield* runVirtual(client.get("https://carrier.example/track/1").pipe(Effect.withRandom(Random.fixed([0.5]))))
      // before issue 16 the hint was a floor: [0, 300_000]. Now 120 s + 0.5 × min(12 s, 1 s)
      expect(fake.times).toEqual([0, 120_500])
    }))
})

describe("timeout", () => {
  it.effect("a response head slower than the timeout is a Transport RequestError caused by a TimeoutException", () =>
    Effect.gen(function*() {
      const errors: Array<unknown> = []
      const { effect, times } = get([{ status: 200, delay: "10 seconds" }, { status: 200 }], {
        timeout: "2 seconds",
        onRetry: (info) => Effect.sync(() => errors.push(info.error))
      })
      const exit = yield* runVirtual(effect)
      expect(Exit.isSuccess(exit)).toBe(true)
      // The default network policy retries at once.
      expect(times).toEqual([0, 2000])
      const error = errors[0] as any
      expect([error._tag, error.reason, Cause.isTimeoutException(error.cause)]).toEqual([
        "RequestError",
        "Transport",
        true
      ])
      expect(error.message).toContain("timed out after 2s")
    }))

  it.effect("every attempt gets the whole timeout", () =>
    Effect.gen(function*() {
      const { effect, times } = get(
        [{ status: 200, delay: "1 minute" }, { status: 200, delay: "1 minute" }, { status: 200, delay: "1 minute" }],
        {
          timeout: "5 seconds",
          strategies: {
            network_error: { decision: "retry_with_delay", maxRetries: 2, baseDelay: "1 second", backoffFactor: 1 }
          }
        }
      )
      const exit = yield* runVirtual(effect)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(times).toEqual([0, 6000, 12_000])
    }))
})

describe("idempotency", () => {
  it.effect("POST after a 503: one request, recorded as temporary_error / not_retryable", () =>
    Effect.gen(function*() {
      const fake = fakeClient([{ status: 503 }, { status: 200 }])
      const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry())
      const exit = yield* runVirtual(client.post("https://carrier.example/labels"))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(fake.times).toEqual([0])
      const stats = yield* RetryStats.analyzeTaskErrors("POST /labels")
      expect(stats.categoryDistribution.temporary_error).toBe(1)
      expect(stats.outcomes.not_retryable).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("PUT, DELETE, HEAD and OPTIONS are retried; POST and PATCH are not", () =>
    Effect.gen(function*() {
      const requests = {
        GET: HttpClientRequest.get,
        PUT: HttpClientRequest.put,
        DELETE: HttpClientRequest.del,
        HEAD: HttpClientRequest.head,
        OPTIONS: HttpClientRequest.options,
        POST: HttpClientRequest.post,
        PATCH: HttpClientRequest.patch
      }
      const counts: Record<string, number> = {}
      for (const [method, make] of Object.entries(requests)) {
        const fake = fakeClient([{ status: 502 }, { status: 200 }])
        const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: rateLimited }))
        yield* runVirtual(client.execute(make("https://carrier.example/labels/1")))
        counts[method] = fake.times.length
      }
      expect(counts).toEqual({ GET: 2, PUT: 2, DELETE: 2, HEAD: 2, OPTIONS: 2, POST: 1, PATCH: 1 })
    }))

  it.effect("a streamed body is never sent twice, even with an Idempotency-Key", () =>
    Effect.gen(function*() {
      const fake = fakeClient([{ status: 503 }, { status: 200 }])
      const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry())
      const request = HttpClientRequest.post("https://carrier.example/labels").pipe(
        HttpClientRequest.setHeader("Idempotency-Key", "order-42"),
        HttpClientRequest.bodyStream(Stream.make(new Uint8Array([1, 2, 3])))
      )
      yield* runVirtual(client.execute(request))
      expect(fake.times).toEqual([0])
    }))

  it("isIdempotent, isReplayable", () => {
    const post = HttpClientRequest.post("/labels")
    expect(IntelligentHttpClient.isIdempotent(HttpClientRequest.get("/x"))).toBe(true)
    expect(IntelligentHttpClient.isIdempotent(post)).toBe(false)
    expect(IntelligentHttpClient.isIdempotent(HttpClientRequest.setHeader(post, "Idempotency-Key", "k"))).toBe(true)
    expect(IntelligentHttpClient.isIdempotent(HttpClientRequest.setHeader(post, "Idempotency-Key", " "))).toBe(false)
    expect(IntelligentHttpClient.isReplayable(HttpClientRequest.bodyText(post, "x"))).toBe(true)
    expect(IntelligentHttpClient.isReplayable(HttpClientRequest.bodyStream(post, Stream.empty))).toBe(false)
  })

  it("cannotHaveReachedServer: connect-failure codes along the cause chain, and nothing else", () => {
    const f = IntelligentHttpClient.cannotHaveReachedServer
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })
    expect(f({ _tag: "RequestError", reason: "Transport", cause: new TypeError("fetch failed", { cause: refused }) }))
      .toBe(true)
    expect(f({ cause: { code: "ENOTFOUND" } })).toBe(true)
    expect(f({ cause: { code: "EAI_AGAIN" } })).toBe(true)
    expect(f(new AggregateError([refused, refused]))).toBe(true)
    expect(f(new AggregateError([refused, { code: "ECONNRESET" }]))).toBe(false)
    expect(f({ code: "ECONNRESET" })).toBe(false)
    expect(f({ code: "UND_ERR_SOCKET" })).toBe(false)
    expect(f(new Cause.TimeoutException())).toBe(false)
    // Deeper than 8 links: no proof.
    let deep: any = { code: "ECONNREFUSED" }
    for (let i = 0; i < 8; i++) deep = { cause: deep }
    expect(f(deep)).toBe(false)
    const cyclic: any = {}
    cyclic.cause = cyclic
    expect(f(cyclic)).toBe(false)
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    expect(f(proxy)).toBe(false)
    expect(f({ errors: proxy })).toBe(false)
    const hostile = new Proxy({}, {
      get() {
        throw new Error("no")
      }
    })
    expect(f(hostile)).toBe(false)
    expect(f(null)).toBe(false)
    expect(f(Symbol("x"))).toBe(false)
  })
})

describe("task names and budget keys", () => {
  it("sanitizePath", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["https://api.example/v2/track/1Z999AA10123456784?key=s3cret#x", "/v2/track/:id"],
      ["https://api.example", "/"],
      ["https://api.example?x=1", "/"],
      ["/orders/12345/items/3", "/orders/:id/items/:id"],
      ["/users/7f1b2c3d-1234-4abc-9def-0123456789ab", "/users/:id"],
      ["/blobs/deadbeefcafebabe0011", "/blobs/:id"],
      ["/oauth2/token", "/oauth2/token"],
      ["/people/jane@example.com", "/people/:id"],
      ["/files/report%20final.pdf", "/files/:id"],
      ["/a/" + "x".repeat(40), "/a/:id"],
      ["/trailing/", "/trailing/"],
      ["relative/path", "/relative/path"],
      ["/redirect?to=https://evil.example/a/b", "/redirect"],
      ["https://api.example/x#frag://y/z", "/x"]
    ]
    for (const [url, expected] of cases) expect([url, IntelligentHttpClient.sanitizePath(url)]).toEqual([url, expected])
    const many = "/" + Array.from({ length: 50 }, () => "seg").join("/")
    expect(IntelligentHttpClient.sanitizePath(many).endsWith("/…")).toBe(true)
  })

  const observe = (options: IntelligentHttpClient.Options<any>, url: string) =>
    Effect.gen(function*() {
      const tasks: Array<string> = []
      const fake = fakeClient([{ status: 503 }, { status: 200 }])
      const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({
        strategies: rateLimited,
        ...options,
        onRetry: (info) => Effect.sync(() => tasks.push(info.task))
      }))
      yield* runVirtual(client.get(url))
      return tasks[0]
    })

  it.effect("the default task is the method and the sanitized path; route and task override it", () =>
    Effect.gen(function*() {
      const url = "https://user:pw@carrier.example/track/1Z999AA10123456784?apiKey=s3cret"
      expect(yield* observe({}, url)).toBe("GET /track/:id")
      expect(yield* observe({ route: () => "/track/{number}" }, url)).toBe("GET /track/{number}")
      expect(yield* observe({ route: () => undefined }, url)).toBe("GET /track/:id")
      expect(yield* observe({ task: "update_tracking_info" }, url)).toBe("update_tracking_info")
      expect(yield* observe({ task: (r) => `carrier ${r.method}` }, url)).toBe("carrier GET")
      expect(
        yield* observe({
          task: () => {
            throw new Error("bug")
          }
        }, url)
      ).toBe("GET /track/:id")
    }))

  it.effect("the default budget key is the host, without user info", () =>
    Effect.gen(function*() {
      const keys: Array<string> = []
      const budget = {
        [Symbol.for("@intelligent-retry/core/RetryBudget")]: Symbol.for("@intelligent-retry/core/RetryBudget"),
        unsafeOnSuccess: (key: string) => void keys.push(`+${key}`),
        unsafeOnFailure: (key: string) => {
          keys.push(`-${key}`)
          return true
        }
      } as any
      const fake = fakeClient([{ status: 503 }, { status: 200 }, { status: 200 }])
      const plain = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: rateLimited }))
      const keyed = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({ budgetKey: "carrier" }))
      yield* runVirtual(
        Effect.zipRight(
          plain.get("https://user:pw@Carrier.example:8443/track/1"),
          keyed.get("https://carrier.example/track/1")
        ).pipe(Effect.provideService(RetryBudget.RetryBudget, budget))
      )
      expect(keys).toEqual(["-carrier.example:8443", "+carrier.example:8443", "+carrier"])
    }))
})

describe("status handling", () => {
  it.effect("filterStatusOk: false lets every response through", () =>
    Effect.gen(function*() {
      const { effect, times } = get([{ status: 503 }], { filterStatusOk: false })
      const exit = yield* runVirtual(effect)
      expect(Exit.isSuccess(exit) && exit.value.status).toBe(503)
      expect(times).toEqual([0])
    }))

  it.effect("statistics flow into the current RetryStats.RetryStats, per task", () =>
    Effect.gen(function*() {
      const { effect } = get([{ status: 429, headers: { "retry-after": "2" } }, { status: 503 }, { status: 200 }], {
        strategies: {
          ...rateLimited,
          temporary_error: { decision: "retry_with_delay", maxRetries: 1, baseDelay: "5 seconds" }
        }
      })
      yield* runVirtual(effect)
      const stats = yield* RetryStats.analyzeTaskErrors("GET /track/:id")
      expect(stats.categoryDistribution.api_rate_limit).toBe(1)
      expect(stats.categoryDistribution.temporary_error).toBe(1)
      expect(stats.retries).toBe(2)
      expect(stats.waitMillis).toBe(7000)
      expect(stats.outcomes.recovered).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("options", () => {
  // applying the transform never throws; every request of the client dies with the error
  const invalid = (options: unknown) => {
    let sent = 0
    const client = IntelligentHttpClient.withIntelligentRetry(
      HttpClient.make(() => Effect.sync(() => sent++).pipe(Effect.zipRight(Effect.never))),
      options as any
    )
    const exit = Effect.runSyncExit(client.get("https://carrier.example/track/1"))
    expect(sent).toBe(0)
    const defect = Exit.isFailure(exit) ? Cause.dieOption(exit.cause) : undefined
    if (defect === undefined || defect._tag === "None") throw new Error(`accepted ${JSON.stringify(options)}`)
    expect(defect.value).toBeInstanceOf(InvalidPolicyError)
    return (defect.value as InvalidPolicyError).field
  }

  it("invalid options make every request die with an InvalidPolicyError naming the option", () => {
    expect(invalid({ maxAttempts: 0 })).toBe("maxAttempts")
    expect(invalid({ timeout: 0 })).toBe("timeout")
    expect(invalid({ timeout: "soon" })).toBe("timeout")
    expect(invalid({ timeout: Duration.infinity })).toBe("timeout")
    expect(invalid({ maxElapsed: -1 })).toBe("maxElapsed")
    expect(invalid({ task: 42 })).toBe("task")
    expect(invalid({ budgetKey: "" })).toBe("budgetKey")
    expect(invalid({ route: "/track/:id" })).toBe("route")
    expect(invalid({ retryNonIdempotent: "yes" })).toBe("retryNonIdempotent")
    expect(invalid({ retries: 3 })).toBe("options.retries")
    expect(invalid({ strategies: { network_eror: { decision: "no_retry" } } })).toBe("strategies.network_eror")
    expect(invalid({ strategies: { network_error: { decision: "retry_with_delay", maxRetries: -1 } } }))
      .toBe("strategies.network_error.maxRetries")
    expect(invalid("fast")).toBe("options")
  })

  it("the error names the option and shows the value, in the message shape of core", () => {
    const client = HttpClient.make(() => Effect.never).pipe(
      IntelligentHttpClient.withIntelligentRetry({ maxAttempts: -1 })
    )
    const exit = Effect.runSyncExit(client.get("https://carrier.example/track/1"))
    expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) as InvalidPolicyError : undefined
    expect(error?.field).toBe("maxAttempts")
    expect(error?.value).toBe(-1)
    expect(error?.message).toBe("Invalid maxAttempts: must be an integer ≥ 1, got -1")
  })

  it("data-first and data-last give the same client", () => {
    const base = HttpClient.make(() => Effect.never)
    expect(HttpClient.TypeId in IntelligentHttpClient.withIntelligentRetry(base)).toBe(true)
    expect(HttpClient.TypeId in base.pipe(IntelligentHttpClient.withIntelligentRetry())).toBe(true)
    expect(HttpClient.TypeId in base.pipe(IntelligentHttpClient.withIntelligentRetry({ timeout: "1 second" })))
      .toBe(true)
  })
})

describe("response bodies", () => {
  it.effect("a body the user already read does not break the retry (no callback warning is logged)", () =>
    Effect.gen(function*() {
      const fake = fakeClient([{ status: 503, body: "busy" }, { status: 200, body: "ok" }])
      const warnings: Array<string> = []
      const logger = Logger.make(({ message }) => warnings.push(String(message)))
      const client = fake.client.pipe(
        HttpClient.tap((response) => response.text),
        IntelligentHttpClient.withIntelligentRetry({
          strategies: { temporary_error: { decision: "retry_with_delay", maxRetries: 1, baseDelay: 10 } }
        })
      )
      const exit = yield* runVirtual(
        client.get("https://carrier.example/track/1").pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fake.times).toEqual([0, 10])
      expect(warnings.filter((w) => w.includes("callback failed"))).toEqual([])
    }))
})
