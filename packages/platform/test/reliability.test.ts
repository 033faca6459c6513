/**
 * The HTTP transform under hostile failures: a fake `HttpClient` (built with `HttpClient.make`)
 * whose errors, and whose errors' causes and responses, are hostile values; 10 MB and 10,000-deep
 * causes; secrets in request URLs; interruption of a request in flight; invalid options.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import type { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { RetryBudget, RetryMonitor, RetryStats } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Cause, Effect, Exit, Fiber, Layer, Logger, Option, TestClock } from "effect"
import { flatString, hostileValues, nestedCauses, TEN_MB, throwingProxy } from "../../../test/reliability/hostile.js"
import { ms, n, section, time } from "../../../test/reliability/report.js"
import { VirtualClock } from "../../../test/reliability/virtualClock.js"

const report = section({ id: "03-http", order: 3, title: "Hostile failures through the HTTP transform" })

const once = { decision: "retry_immediately", maxRetries: 1, baseDelay: 0 } as const
const strategies = {
  network_error: once,
  api_rate_limit: once,
  data_error: once,
  system_error: once,
  temporary_error: once,
  permanent_error: once
}

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(Logger.logfmtLogger.log(options))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

type Failure = (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<never, HttpClientError.HttpClientError>

/** The ways a client can fail with a hostile value. */
const modes: ReadonlyArray<readonly [string, (value: unknown) => Failure]> = [
  ["the value itself as the client's error", (value) => () => Effect.failCause(Cause.fail(value as any))],
  [
    "a Transport RequestError caused by the value",
    (value) => (request) =>
      Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: value }))
  ],
  [
    "a 503 ResponseError caused by the value",
    (value) => (request) =>
      Effect.fail(
        new HttpClientError.ResponseError({
          request,
          response: HttpClientResponse.fromWeb(request, new Response(null, { status: 503 })),
          reason: "StatusCode",
          cause: value
        })
      )
  ]
]

/** A request through the transform, synchronously under a virtual clock. */
const send = (
  fail: Failure,
  method: "GET" | "POST",
  store: RetryStats.RetryStatsService,
  logs: Layer.Layer<never>,
  url = "https://carrier.example/track/1Z999"
) => {
  const client = HttpClient.make((request) => fail(request)).pipe(
    IntelligentHttpClient.withIntelligentRetry({ strategies })
  )
  return Effect.runSyncExit(
    (method === "GET" ? client.get(url) : client.post(url)).pipe(
      Effect.provideService(RetryStats.RetryStats, store),
      Effect.provide(logs),
      // hundreds of failing requests to one host: no budget, so that each is retried as its policy says
      Effect.provide(RetryBudget.layerNone),
      Effect.withClock(new VirtualClock())
    )
  )
}

describe("hostile failures through IntelligentHttpClient", () => {
  it("every hostile value, as the error, as its cause, and as a response's cause, for GET and POST", () => {
    const values = hostileValues()
    const store = Effect.runSync(RetryStats.make({ metrics: false }))
    const logs = captureLogs()
    let requests = 0
    const [, elapsed] = time(() => {
      for (const [name, make] of values) {
        for (const [mode, failWith] of modes) {
          for (const method of ["GET", "POST"] as const) {
            const value = make()
            const label = `${name} / ${mode} / ${method}`
            const exit = send(failWith(value), method, store, logs.layer)
            requests++
            expect(Exit.isFailure(exit), label).toBe(true)
            if (Exit.isFailure(exit)) {
              expect(Cause.isDie(exit.cause), label).toBe(false)
              const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
              if (mode.startsWith("the value")) expect(Object.is(failure, value), label).toBe(true)
              else expect(Object.is((failure as any)?.cause, value), label).toBe(true)
            }
          }
        }
      }
    })
    const analysis = Effect.runSync(store.analyzeTaskErrors())
    const statistics = Effect.runSync(store.getErrorStatistics)
    expect(analysis.runs).toBe(requests)
    for (const sample of statistics.recentSamples) {
      expect(sample.message.length).toBeLessThanOrEqual(500)
      expect(sample.tag.length).toBeLessThanOrEqual(100)
    }
    const warnings = logs.lines.filter((l) => l.includes("level=WARN"))
    report.add({
      tried: "IntelligentHttpClient.withIntelligentRetry over a fake HttpClient.make failing with hostile values",
      inputs: `${values.length} hostile values × 3 ways (the error itself; the cause of a Transport RequestError; ` +
        "the cause of a 503 ResponseError) × GET and POST (POST reads the cause chain to decide replay)",
      faults: "throwing Proxies, revoked Proxies, throwing getters, cycles, 10,000-deep causes, 10 MB strings, …",
      load: `${n(requests)} requests`,
      measured:
        `${n(requests)} of ${n(requests)} failed with the injected error (no defect); ${n(analysis.runs)} runs ` +
        `recorded, ${n(analysis.totalErrors)} failed attempts; samples bounded; ${warnings.length} warnings logged`,
      timing: ms(elapsed)
    })
  })

  it("regression: a hostile error logs no spurious 'onRetry callback failed' warning from the transform's own body discarding", () => {
    const logs = captureLogs()
    const store = Effect.runSync(RetryStats.make({ metrics: false }))
    const proxy = throwingProxy()
    send(() => Effect.failCause(Cause.fail(proxy as any)), "GET", store, logs.layer)
    // a ResponseError whose response throws on every read: its body cannot be discarded, silently
    send(
      (request) =>
        Effect.fail(new HttpClientError.ResponseError({ request, response: proxy as any, reason: "StatusCode" })),
      "GET",
      store,
      logs.layer
    )
    expect(logs.lines.filter((l) => l.includes("callback failed"))).toEqual([])
    expect(Effect.runSync(store.analyzeTaskErrors()).totalErrors).toBe(4)
    report.add({
      tried: "regression: the transform's body discarding on a hostile error",
      inputs: "a client failing with a throwing Proxy, and with a ResponseError whose response is one",
      faults: "hostile error values",
      load: "—",
      measured:
        "fixed (platform internal/intelligentHttpClient.ts): `isHttpClientError` threw inside the transform's " +
        "own onRetry, logged as \"the onRetry callback failed\" though the user gave none; now no warning"
    })
  })

  it("a 10 MB cause or description costs the same order of time as a 10 B one; 10,000 nested causes do not overflow", () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false }))
    const logs = captureLogs().layer
    const K = 11
    /** The fastest of K requests: the work done, without the collections of the test's 10 MB allocations. */
    const fastest = (make: (i: number) => unknown) => {
      let best = Infinity
      for (let i = 0; i < K; i++) {
        const cause = make(i)
        const fail: Failure = (request) =>
          Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause,
              ...(typeof cause === "string" ? { description: cause } : {})
            })
          )
        const start = performance.now()
        send(fail, "POST", store, logs)
        best = Math.min(best, performance.now() - start)
      }
      return best
    }
    // warm up the code paths first
    for (let i = 0; i < 200; i++) {
      send(
        (request) =>
          Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error(`${i}`) })),
        "POST",
        store,
        logs
      )
    }
    const small = fastest((i) => new Error(`${i}:10 bytes`.slice(0, 10)))
    const bigCause = fastest((i) => new Error(flatString(TEN_MB, `c${i}`)))
    const bigDescription = fastest((i) => flatString(TEN_MB, `d${i}`))
    expect(bigCause).toBeLessThan(10 * small + 0.1)
    // the description is part of a message that @effect/platform builds on each read, a 10 MB rope: V8
    // flattens it (one 10 MB copy) when the first 1,000 characters are sliced. Linear, not a scan.
    expect(bigDescription).toBeLessThan(100)
    const chain = nestedCauses(10_000)
    const [exit, deep] = time(() =>
      send(
        (request) => Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: chain })),
        "POST",
        store,
        logs
      )
    )
    expect(Exit.isFailure(exit) && !Cause.isDie(exit.cause)).toBe(true)
    report.add({
      tried: "time of a request failing with a 10 MB cause or description, and with 10,000 nested causes",
      inputs: `${K} POSTs of each kind (fresh values), against ${K} with a 10 B cause; the fastest of each`,
      faults: "10 MB Error cause; 10 MB RequestError description (in the message statistics read); 10,000-deep cause",
      load: "—",
      measured: "a 10 MB cause within 10× of a 10 B one (causes are read 8 links deep, a few fields each); a 10 MB " +
        "description costs one copy by V8 (the message getter builds a rope, flattened on the first slice); " +
        "10,000 nested causes: no stack overflow, a typed failure",
      timing: `10 B ${ms(small)}, 10 MB cause ${ms(bigCause)}, 10 MB description ${ms(bigDescription)}, ` +
        `10,000 causes ${ms(deep)}`
    })
  })
})

describe("secrets in request URLs", () => {
  const urls: ReadonlyArray<readonly [string, string, ReadonlyArray<string>]> = [
    ["URL credentials", "https://svc:url-SECRET-pw@carrier.example/track/1Z999", ["url-SECRET-pw"]],
    ["token in a query string", "https://carrier.example/track/1Z999?access_token=q-SECRET-tok&page=2", [
      "q-SECRET-tok"
    ]],
    ["API key in a query string", "https://carrier.example/labels?api_key=k-SECRET-key", ["k-SECRET-key"]],
    [
      "both, and a signature",
      "https://u:p-SECRET@bucket.example/o?X-Amz-Signature=s-SECRET-sig&X-Amz-Credential=c-SECRET",
      ["p-SECRET", "s-SECRET-sig", "c-SECRET"]
    ]
  ]

  it.effect("never reach statistics (task names, samples), alerts or logs", () =>
    Effect.gen(function*() {
      let checked = 0
      for (const [name, url, secrets] of urls) {
        const logs = captureLogs()
        const alerts: Array<RetryMonitor.RetryAlert> = []
        yield* Effect.gen(function*() {
          const store = yield* RetryStats.RetryStats
          for (const status of [503, 429, 0]) {
            const fail: Failure = (request) =>
              status === 0
                ? Effect.fail(
                  new HttpClientError.RequestError({
                    request,
                    reason: "Transport",
                    cause: new Error(`connect ECONNREFUSED for ${url}`),
                    description: `fetch ${url} failed`
                  })
                )
                : Effect.fail(
                  new HttpClientError.ResponseError({
                    request,
                    response: HttpClientResponse.fromWeb(request, new Response(null, { status })),
                    reason: "StatusCode"
                  })
                )
            const client = HttpClient.make(fail).pipe(
              IntelligentHttpClient.withIntelligentRetry({
                strategies,
                onRetry: () => Effect.fail(new Error(`hook failed for ${url}`))
              })
            )
            yield* Effect.exit(client.get(url))
            yield* Effect.exit(client.post(url))
          }
          yield* RetryMonitor.check({ errorThreshold: 0 }).pipe(
            Effect.provide(RetryMonitor.AlertSink.layer((alert) => Effect.sync(() => alerts.push(alert))))
          )
          yield* RetryMonitor.check({ errorThreshold: 0 }).pipe(Effect.provide(RetryMonitor.AlertSink.layerLog))
          const outputs = [
            JSON.stringify(yield* store.getErrorStatistics),
            JSON.stringify(yield* store.analyzeTaskErrors()),
            JSON.stringify(alerts),
            logs.lines.join("\n")
          ]
          for (const output of outputs) {
            for (const secret of secrets) expect(output.includes(secret), `${name}: ${secret}`).toBe(false)
            checked++
          }
          // not vacuous: the URLs' hosts are there
          expect(outputs[0]).toContain(
            "carrier.example".includes(new URL(url).host) ? "carrier.example" : new URL(url).host
          )
        }).pipe(Effect.provide(Layer.mergeAll(RetryStats.layer, logs.layer)))
      }
      report.add({
        tried: "secrets in request URLs through the HTTP transform",
        inputs: `${urls.length} URLs: ${urls.map(([name]) => name).join("; ")}`,
        faults: "503 and 429 ResponseErrors and Transport RequestErrors (whose messages hold the URL), GET and POST, " +
          "an onRetry failing with the URL",
        load: `${urls.length * 6} requests`,
        measured:
          `${checked} outputs (getErrorStatistics with task names and samples, analysis, alerts, logs): no secret`
      })
    }))
})

describe("interruption of a request in flight", () => {
  it.effect("the client's finalizer runs, no further request is sent, the outcome is interrupted", () =>
    Effect.gen(function*() {
      let sent = 0
      let finalized = 0
      const client = HttpClient.make((request) =>
        Effect.suspend(() => {
          sent++
          return sent === 1
            ? Effect.succeed(HttpClientResponse.fromWeb(request, new Response(null, { status: 503 })))
            : Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => finalized++)))
        })
      ).pipe(
        IntelligentHttpClient.withIntelligentRetry({
          strategies: { temporary_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: "1 second" } }
        })
      )
      const fiber = yield* Effect.fork(client.get("https://carrier.example/track/1"))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 hour")
      expect(sent).toBe(2)
      expect(finalized).toBe(1)
      expect((yield* RetryStats.analyzeTaskErrors("GET /track/:id")).outcomes.interrupted).toBe(1)
      report.add({
        tried: "interrupting a request in flight through the transform",
        inputs: "a 503, then a request that never answers; interrupted at 5 s",
        faults: "Fiber.interrupt during the second request",
        load: "then 1 hour of virtual time",
        measured: `requests sent ${sent}; the hanging request's finalizer ran ${finalized}×; outcome interrupted 1`
      })
    }).pipe(Effect.provide(RetryStats.layer), Effect.provide(RetryBudget.layerNone)))
})

describe("invalid options", () => {
  it("every invalid option makes each request die with an InvalidPolicyError naming the option and showing the value", () => {
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["timeout", { timeout: 0 }, "0"],
      ["timeout", { timeout: -5 }, "-5"],
      ["timeout", { timeout: "soon" }, `"soon"`],
      ["maxAttempts", { maxAttempts: 0 }, "0"],
      ["maxAttempts", { maxAttempts: 2.5 }, "2.5"],
      ["maxElapsed", { maxElapsed: -1 }, "-1"],
      ["task", { task: 42 }, "42"],
      ["task", { task: "" }, "task"],
      ["budgetKey", { budgetKey: null }, "null"],
      ["route", { route: "/track/:id" }, `"/track/:id"`],
      ["classify", { classify: "network_error" }, `"network_error"`],
      ["onRetry", { onRetry: true }, "true"],
      ["onFailure", { onFailure: 1 }, "1"],
      ["retryNonIdempotent", { retryNonIdempotent: "yes" }, `"yes"`],
      ["filterStatusOk", { filterStatusOk: 0 }, "0"],
      ["strategies.network_error.maxRetries", {
        strategies: { network_error: { decision: "retry_with_delay", maxRetries: -1 } }
      }, "-1"],
      ["options.retries", { retries: 3 }, "retries"],
      ["options", "fast", `"fast"`]
    ]
    for (const [field, options, shown] of cases) {
      // applying the transform never throws; its requests die with the error
      const client = IntelligentHttpClient.withIntelligentRetry(HttpClient.make(() => Effect.never), options as any)
      const exit = Effect.runSyncExit(client.get("https://carrier.example/track/1"))
      const error: any = Exit.isFailure(exit) && Cause.isDie(exit.cause) ? Cause.squash(exit.cause) : undefined
      expect(error?._tag, field).toBe("InvalidPolicyError")
      expect(error.field, field).toBe(field)
      expect(error.message, field).toContain(shown)
    }
    report.add({
      tried: "invalid options of IntelligentHttpClient.withIntelligentRetry",
      inputs: `${cases.length} cases: ${[...new Set(cases.map(([field]) => field))].join(", ")}`,
      faults: "zero, negative, fractional, wrongly typed and empty values; an unknown option; options not an object",
      load: "—",
      measured:
        `${cases.length} of ${cases.length} make the request die with an InvalidPolicyError with the exact field, showing the value`
    })
  })
})
