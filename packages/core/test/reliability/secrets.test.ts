/**
 * Secrets: error messages holding URL credentials, tokens in query strings, `Authorization`
 * headers and API keys never reach statistics, alerts or log output, whatever path they take:
 * the failure itself, a callback that fails or dies, or an alert sink that fails.
 */
import { describe, expect, it } from "@effect/vitest"
import { RetryBudget, RetryMonitor, RetryStats, TemporaryError, withIntelligentRetry } from "@intelligent-retry/core"
import { Data, Effect, Layer, Logger } from "effect"
import { n, section } from "../../../../test/reliability/report.js"

const report = section({ id: "07-secrets", order: 7, title: "Secrets" })

/** A form of secret, the text carrying it, and the parts of it that must never be seen. */
interface Form {
  readonly name: string
  readonly text: string
  readonly secrets: ReadonlyArray<string>
}

const forms: ReadonlyArray<Form> = [
  {
    name: "URL credentials",
    text: "GET https://svc-tracker:Pa55w0rd-url-SECRET@api.carrier.example/v1/track/1Z999 failed",
    secrets: ["Pa55w0rd-url-SECRET", "svc-tracker"]
  },
  {
    name: "database URL credentials",
    text: "connect postgres://admin:db-SECRET-pw@db.internal:5432/orders refused",
    secrets: ["db-SECRET-pw"]
  },
  {
    name: "token in a query string",
    text: "GET https://api.carrier.example/v1/track?id=7&access_token=tok-query-SECRET-123&page=2 returned 503",
    secrets: ["tok-query-SECRET-123"]
  },
  {
    name: "API key in a query string",
    text: "POST /labels?api_key=key-query-SECRET-456 returned 429",
    secrets: ["key-query-SECRET-456"]
  },
  {
    name: "signature in a query string",
    text: "GET https://bucket.s3.example/x?X-Amz-Signature=sig-SECRET-789&X-Amz-Expires=60 returned 403",
    secrets: ["sig-SECRET-789"]
  },
  {
    name: "Authorization: Bearer",
    text: "request failed; headers: Authorization: Bearer bearer-SECRET-token.abc-def",
    secrets: ["bearer-SECRET-token.abc-def"]
  },
  {
    name: "Authorization: Basic",
    text: "proxy said 407 to Proxy-Authorization: Basic c3ZjOmJhc2ljLVNFQ1JFVA==",
    secrets: ["c3ZjOmJhc2ljLVNFQ1JFVA=="]
  },
  { name: "X-Api-Key header", text: "upstream rejected X-Api-Key: hdr-SECRET-key-42", secrets: ["hdr-SECRET-key-42"] },
  {
    name: "a bare bearer token",
    text: "retrying with bearer bare-SECRET-tok_99 after 401",
    secrets: ["bare-SECRET-tok_99"]
  },
  {
    name: "OpenAI-style API key",
    text: "model call failed for key sk-proj-SECRETabcdefghijklmnopqrstuv0123",
    secrets: ["sk-proj-SECRETabcdefghijklmnopqrstuv0123"]
  },
  {
    name: "Stripe secret key",
    text: "charge failed: sk_live_SECRET0123456789abcdef invalid",
    secrets: ["sk_live_SECRET0123456789abcdef"]
  },
  { name: "AWS access key id", text: "S3 denied AKIAIOSFODNN7SECRET1 at upload", secrets: ["AKIAIOSFODNN7SECRET1"] },
  {
    name: "GitHub token",
    text: "clone failed with ghp_SECRET0123456789abcdefghijklmnopqrstuv",
    secrets: ["ghp_SECRET0123456789abcdefghijklmnopqrstuv"]
  },
  {
    name: "JSON Web Token",
    text: "rejected eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQtand0In0.SECRETsignature_abcdef123",
    secrets: ["eyJzdWIiOiJTRUNSRVQtand0In0", "SECRETsignature_abcdef123"]
  },
  {
    name: "password in a JSON body",
    text: "400 for body {\"user\":\"bob\",\"password\":\"json-SECRET-pw\"}",
    secrets: ["json-SECRET-pw"]
  },
  {
    name: "Cookie header",
    text: "sent Cookie: session=cookie-SECRET-sid; theme=dark",
    secrets: ["cookie-SECRET-sid"]
  }
]

class CarrierFailure extends Data.TaggedError("CarrierFailure")<{ readonly message: string }> {}

/** Every shape an error carrying `text` may take. */
const shapes = (text: string): ReadonlyArray<readonly [string, unknown]> => [
  ["Error", new Error(`upstream failed: ${text}`)],
  ["TemporaryError", new TemporaryError({ message: `upstream failed: ${text}` })],
  ["tagged error", new CarrierFailure({ message: `upstream failed: ${text}` })],
  ["string", `upstream failed: ${text}`],
  ["plain object", { message: `upstream failed: ${text}`, status: 503 }],
  ["Error with a secret name", Object.assign(new Error("x"), { name: `E ${text}` })]
]

/** Captures every log line, rendered by Effect's logfmt and JSON loggers (causes included). */
const capture = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(Logger.logfmtLogger.log(options))
    lines.push(Logger.jsonLogger.log(options))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const leaks = (text: string, secrets: ReadonlyArray<string>): ReadonlyArray<string> =>
  secrets.filter((s) => text.includes(s))

describe("secrets never reach statistics, alerts or logs", () => {
  it.effect("each form, in each error shape, through the combinator, its callbacks, analysis and the monitor", () =>
    Effect.gen(function*() {
      let checked = 0
      let runs = 0
      const where = new Set<string>()
      for (const form of forms) {
        for (const [shape, error] of shapes(form.text)) {
          const logs = capture()
          const alerts: Array<RetryMonitor.RetryAlert> = []
          const sinkAlerts: Array<RetryMonitor.RetryAlert> = []
          // many failing runs of one task: no budget, so that every run retries as its policy says
          const layer = Layer.mergeAll(RetryStats.layer, logs.layer, RetryBudget.layerNone)
          yield* Effect.gen(function*() {
            // the failure itself, a failing onRetry and a dying onFailure, both logged by the combinator
            yield* Effect.exit(
              Effect.fail(error).pipe(
                withIntelligentRetry({
                  task: "secrets",
                  strategies: { temporary_error: { decision: "retry_immediately", maxRetries: 2, baseDelay: 0 } },
                  onRetry: () => Effect.fail(new Error(`onRetry failed: ${form.text}`)),
                  onFailure: () => Effect.die(new Error(`onFailure died: ${form.text}`))
                })
              )
            )
            runs++
            const analysis = yield* RetryStats.analyzeTaskErrors("secrets")
            const all = yield* RetryStats.analyzeTaskErrors()
            const statistics = yield* RetryStats.getErrorStatistics
            const window = yield* RetryStats.errorsInWindow("1 hour")
            const stats = yield* RetryStats.RetryStats
            const samples = yield* stats.recentSamples()
            // the monitor: a capturing sink, the default log sink, and a sink that fails with the secret
            const thresholds = { errorThreshold: 0, categoryThresholds: { temporary_error: 0 } }
            alerts.push(...(yield* RetryMonitor.check(thresholds)))
            yield* RetryMonitor.check(thresholds).pipe(
              Effect.provide(RetryMonitor.AlertSink.layer((alert) => Effect.sync(() => sinkAlerts.push(alert))))
            )
            yield* RetryMonitor.check(thresholds).pipe(Effect.provide(RetryMonitor.AlertSink.layerLog))
            yield* RetryMonitor.check(thresholds).pipe(
              // a sink typed to never fail, failing anyway: what a careless sink does at runtime
              Effect.provide(
                RetryMonitor.AlertSink.layer(() => Effect.fail(new Error(`pager rejected: ${form.text}`)) as any)
              )
            )
            yield* RetryMonitor.check(thresholds).pipe(
              Effect.provide(RetryMonitor.AlertSink.layer(() => Effect.die(new Error(`pager died: ${form.text}`))))
            )
            const outputs: ReadonlyArray<readonly [string, string]> = [
              ["analysis (task)", JSON.stringify(analysis)],
              ["analysis (all)", JSON.stringify(all)],
              ["getErrorStatistics", JSON.stringify(statistics)],
              ["errorsInWindow", JSON.stringify(window)],
              ["recentSamples", JSON.stringify(samples)],
              ["alerts", JSON.stringify(alerts)],
              ["RetryMonitor.AlertSink capture", JSON.stringify(sinkAlerts)],
              ["log output", logs.lines.join("\n")]
            ]
            for (const [name, text] of outputs) {
              expect(leaks(text, form.secrets), `${form.name} / ${shape} / ${name}`).toEqual([])
              where.add(name)
              checked++
            }
            // not vacuous: the samples and alerts are there, masked, and the logs record the callback failures
            expect(samples.length).toBe(3)
            expect(alerts.length).toBe(2)
            expect(sinkAlerts.length).toBe(2)
            const logged = logs.lines.join("\n")
            expect(logged).toContain("the onRetry callback failed")
            expect(logged).toContain("the onFailure callback failed")
            expect(logged).toContain("the alert sink failed")
            expect(logged).toContain("Retry monitor:")
          }).pipe(Effect.provide(layer))
        }
      }
      report.add({
        tried: "every secret form through every output",
        inputs: `${forms.length} forms (${forms.map((f) => f.name).join(", ")}) × ${
          shapes("").length
        } error shapes (Error, TemporaryError, Data.TaggedError, string, plain object, secret in Error.name)`,
        faults: "the secret in the failure, in an onRetry that fails, in an onFailure that dies, in an alert sink " +
          "that fails and one that dies",
        load: `${n(runs)} runs, ${n(runs * 5)} monitor checks`,
        measured: `${n(checked)} outputs checked (${[...where].join(", ")}, the logs rendered by Effect's logfmt ` +
          "and JSON loggers with causes): no secret in any"
      })
    }))

  it.effect("regression: a callback failing with a secret is logged as a redacted summary, not as its raw cause", () =>
    Effect.gen(function*() {
      const logs = capture()
      yield* Effect.exit(
        Effect.fail(new TemporaryError({ message: "503" })).pipe(
          withIntelligentRetry({
            strategies: { temporary_error: { decision: "retry_immediately", maxRetries: 1, baseDelay: 0 } },
            onRetry: () => Effect.fail(new Error("hook https://user:hunter2@hooks.example/x?token=abc failed"))
          }),
          Effect.provide(logs.layer)
        )
      )
      const logged = logs.lines.join("\n")
      expect(logged).toContain("the onRetry callback failed")
      expect(logged).toContain("https://***@hooks.example/x?token=***")
      expect(logged).not.toContain("hunter2")
      expect(logged).not.toContain("token=abc")
      report.add({
        tried: "regression: the combinator's warning when a callback fails",
        inputs: "onRetry failing with an Error whose message holds URL credentials and a token",
        faults: "a failing callback",
        load: "—",
        measured: "fixed (internal/intelligentRetry.ts, internal/redact.ts): the warning logged the raw cause, so " +
          "Effect's logger printed the secret; it now logs a one-line summary through the same redaction as statistics"
      })
    }))

  it.effect("regression: an alert sink failing with a secret is logged redacted", () =>
    Effect.gen(function*() {
      const logs = capture()
      const stats = yield* RetryStats.RetryStats
      stats.unsafeRecordFailure("t", "temporary_error", new Error("x"), 1, 0)
      yield* RetryMonitor.check({ errorThreshold: 0 }).pipe(
        Effect.provide(
          RetryMonitor.AlertSink.layer(() =>
            Effect.fail(new Error("POST https://hooks.example/T0/B0?key=pager-SECRET")) as any
          )
        ),
        Effect.provide(logs.layer)
      )
      const logged = logs.lines.join("\n")
      expect(logged).toContain("the alert sink failed")
      expect(logged).not.toContain("pager-SECRET")
      report.add({
        tried: "regression: the monitor's warning when the alert sink fails",
        inputs: "a sink failing with an Error holding its webhook key",
        faults: "a failing RetryMonitor.AlertSink",
        load: "—",
        measured: "fixed (RetryMonitor.ts): logged the raw cause with the key; now a redacted summary"
      })
    }).pipe(Effect.provide(RetryStats.layer)))
})
