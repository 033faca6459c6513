import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import {
  DataError,
  type InvalidPolicyError,
  NetworkError,
  RateLimitError,
  RetryConfig,
  RetryPolicy,
  RetryStats,
  Strategies,
  SystemError,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { ConfigProvider, Duration, Effect, Exit, Layer, LogLevel, Random } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { runVirtual, scripted } from "./utils.js"

/** Runs `self` with a `ConfigProvider` holding exactly `vars`, as if they were the environment. */
const withVars = (vars: Record<string, string>) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.withConfigProvider(self, ConfigProvider.fromMap(new Map(Object.entries(vars))))

/** Sets real environment variables around `self`, restoring them afterwards. */
const withProcessEnv = (vars: Record<string, string>) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
      Object.assign(process.env, vars)
      return saved
    }),
    () => self,
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )

/** The error a layer fails with when built. */
const buildError = (layer: Layer.Layer<RetryConfig.RetryConfig | Strategies.Strategies, InvalidPolicyError>) =>
  Effect.flip(Effect.provide(Effect.void, layer))

const net = () => new NetworkError({ message: "reset" })
const rate = () => new RateLimitError({ message: "429" })
const temp = () => new TemporaryError({ message: "503" })
const sys = () => new SystemError({ message: "ENOMEM" })

/** Runs a scripted effect under `withIntelligentRetry`; returns attempt times and the outcome. */
const run = <E>(errors: ReadonlyArray<E>) =>
  Effect.gen(function*() {
    const { effect, times } = scripted(errors)
    const outcomes: Array<string> = []
    const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
      task: "config-test",
      onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
    })))
    return { times, outcomes, exit }
  })

const many = <E>(make: () => E, n = 10) => Array.from({ length: n }, make)

describe("RetryConfig.layer: environment variables", () => {
  it.effect("absent variables keep the built-in defaults", () =>
    Effect.gen(function*() {
      const resolved = yield* RetryConfig.resolve()
      expect(resolved.strategies).toEqual(Strategies.defaults)
      expect(resolved.settings).toEqual({
        enabled: true,
        monitoring: { enabled: true, errorThreshold: 50 },
        retryLogLevel: LogLevel.Info
      })
      const { times } = yield* run(many(rate)).pipe(Effect.provide(RetryConfig.layer))
      expect(times).toEqual([0, 300_000, 900_000, 2_100_000])
    }).pipe(withVars({})))

  it.effect("RETRY_DEFAULT_BASE_DELAY and RETRY_DEFAULT_MAX_RETRIES set temporary errors' backoff", () =>
    Effect.gen(function*() {
      // temporary_error: base 2 s, factor 2, full jitter; the draw 0.5 halves each wait: 1 s, 2 s
      const { outcomes, times } = yield* run(many(temp)).pipe(
        Effect.provide(RetryConfig.layer),
        Effect.withRandom(Random.fixed([0.5]))
      )
      expect(times).toEqual([0, 1000, 3000])
      expect(outcomes).toEqual(["exhausted"])
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "2", RETRY_DEFAULT_MAX_RETRIES: "2" })))

  it.effect("RETRY_DEFAULT_BASE_DELAY and RETRY_DEFAULT_MAX_RETRIES set system errors' backoff", () =>
    Effect.gen(function*() {
      // system_error: base 2 s, factor 2, equal jitter; the draw 0.5 gives ¾ of each wait: 1.5 s, 3 s
      const { outcomes, times } = yield* run(many(sys)).pipe(
        Effect.provide(RetryConfig.layer),
        Effect.withRandom(Random.fixed([0.5]))
      )
      expect(times).toEqual([0, 1500, 4500])
      expect(outcomes).toEqual(["exhausted"])
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "2", RETRY_DEFAULT_MAX_RETRIES: "2" })))

  it.effect("RETRY_DEFAULT_* leave network, rate-limit, data and permanent policies alone", () =>
    Effect.gen(function*() {
      const { strategies } = yield* RetryConfig.resolve()
      expect(strategies.network_error).toBe(Strategies.defaults.network_error)
      expect(strategies.api_rate_limit).toBe(Strategies.defaults.api_rate_limit)
      expect(strategies.data_error).toBe(Strategies.defaults.data_error)
      expect(strategies.permanent_error).toBe(Strategies.defaults.permanent_error)
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "2", RETRY_DEFAULT_MAX_RETRIES: "9" })))

  it.effect("a base delay above maxDelay raises maxDelay, so the configured delay is the wait", () =>
    Effect.gen(function*() {
      const { strategies } = yield* RetryConfig.resolve()
      // temporary_error's maxDelay was 300 s, system_error's 600 s
      expect(RetryPolicy.nominalWaits(strategies.temporary_error)).toEqual([450_000, 450_000, 450_000])
      expect(RetryPolicy.nominalWaits(strategies.system_error)).toEqual([450_000, 600_000, 600_000])
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "450" })))

  it.effect("RETRY_NETWORK_MAX_RETRIES sets the network retries", () =>
    Effect.gen(function*() {
      const { outcomes, times } = yield* run(many(net)).pipe(Effect.provide(RetryConfig.layer))
      expect(times).toEqual([0, 0, 0])
      expect(outcomes).toEqual(["exhausted"])
    }).pipe(withVars({ RETRY_NETWORK_MAX_RETRIES: "2" })))

  it.effect("RETRY_API_RATE_LIMIT_DELAY sets the rate-limit delay, in seconds", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(rate)).pipe(Effect.provide(RetryConfig.layer))
      // 10 s, then × 2 per retry
      expect(times).toEqual([0, 10_000, 30_000, 70_000])
    }).pipe(withVars({ RETRY_API_RATE_LIMIT_DELAY: "10" })))

  it.effect("fractional seconds are whole milliseconds", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(rate)).pipe(Effect.provide(RetryConfig.layer))
      expect(times).toEqual([0, 1500, 4500, 10_500])
    }).pipe(withVars({ RETRY_API_RATE_LIMIT_DELAY: " 1.5 " })))

  it.effect("INTELLIGENT_RETRY_ENABLED=false: one attempt, outcome 'disabled', statistics still recorded", () =>
    Effect.gen(function*() {
      const { exit, outcomes, times } = yield* run([net(), net()])
      expect(times).toEqual([0])
      expect(outcomes).toEqual(["disabled"])
      expect(Exit.isFailure(exit)).toBe(true)
      const analysis = yield* RetryStats.analyzeTaskErrors("config-test")
      expect(analysis.totalErrors).toBe(1)
      expect(analysis.outcomes.disabled).toBe(1)
    }).pipe(
      Effect.provide(Layer.merge(RetryConfig.layer, RetryStats.layer)),
      withVars({ INTELLIGENT_RETRY_ENABLED: "false" })
    ))

  it.effect.each(
    [
      ["true", true],
      ["TRUE", true],
      ["yes", true],
      ["on", true],
      ["1", true],
      ["false", false],
      ["False", false],
      [" no ", false],
      ["off", false],
      ["0", false]
    ] as const
  )("INTELLIGENT_RETRY_ENABLED=%j reads as %s", ([raw, enabled]) =>
    Effect.gen(function*() {
      const settings = yield* RetryConfig.RetryConfig
      expect(settings.enabled).toBe(enabled)
    }).pipe(Effect.provide(RetryConfig.layer), withVars({ INTELLIGENT_RETRY_ENABLED: raw })))

  it.effect("Layer.setConfigProvider drives the layer", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(rate))
      expect(times).toEqual([0, 7000, 21_000, 49_000])
    }).pipe(
      Effect.provide(RetryConfig.layer.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ RETRY_API_RATE_LIMIT_DELAY: 7 })))
      ))
    ))

  it.effect("by default the variables come from process.env", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(net)).pipe(Effect.provide(RetryConfig.layer))
      expect(times).toEqual([0, 0])
    }).pipe(withProcessEnv({ RETRY_NETWORK_MAX_RETRIES: "1" })))
})

describe("RetryConfig.layer reads once, at build", () => {
  it.effect("a change to the environment after the layer is built is not seen", () =>
    Effect.gen(function*() {
      const first = yield* run(many(rate))
      process.env.RETRY_API_RATE_LIMIT_DELAY = "99"
      const second = yield* run(many(rate))
      expect(first.times).toEqual([0, 10_000, 30_000, 70_000])
      expect(second.times.map((t) => t - second.times[0])).toEqual([0, 10_000, 30_000, 70_000])
    }).pipe(Effect.provide(RetryConfig.layer), withProcessEnv({ RETRY_API_RATE_LIMIT_DELAY: "10" })))

  it.effect("the ConfigProvider is consulted when the layer is built, never per run", () =>
    Effect.gen(function*() {
      let loads = 0
      const base = ConfigProvider.fromMap(new Map([["RETRY_NETWORK_MAX_RETRIES", "1"]]))
      const counting = ConfigProvider.make({
        load: (config) => {
          loads++
          return base.load(config)
        },
        flattened: base.flattened
      })
      yield* Effect.gen(function*() {
        const loadsAtBuild = loads
        for (let i = 0; i < 5; i++) yield* run(many(net))
        expect(loads).toBe(loadsAtBuild)
      }).pipe(Effect.provide(RetryConfig.layer), Effect.withConfigProvider(counting))
      expect(loads).toBeGreaterThan(0)
    }))
})

describe("malformed values fail the layer, naming the variable and the value", () => {
  const must = {
    count: "must be an integer ≥ 0",
    seconds: "must be a non-negative number of seconds",
    flag: "must be true or false (or yes/no, on/off, 1/0)"
  }
  it.effect.each(
    [
      ["RETRY_DEFAULT_MAX_RETRIES", "three", must.count],
      ["RETRY_DEFAULT_MAX_RETRIES", "-1", must.count],
      ["RETRY_DEFAULT_MAX_RETRIES", "1.5", must.count],
      ["RETRY_DEFAULT_MAX_RETRIES", "", must.count],
      ["RETRY_DEFAULT_BASE_DELAY", "-5", must.seconds],
      ["RETRY_DEFAULT_BASE_DELAY", "soon", must.seconds],
      ["RETRY_DEFAULT_BASE_DELAY", "Infinity", must.seconds],
      ["RETRY_DEFAULT_BASE_DELAY", "1e3", must.seconds],
      ["RETRY_NETWORK_MAX_RETRIES", "5x", must.count],
      ["RETRY_API_RATE_LIMIT_DELAY", "-300", must.seconds],
      ["RETRY_API_RATE_LIMIT_DELAY", "5 minutes", must.seconds],
      ["INTELLIGENT_RETRY_ENABLED", "maybe", must.flag]
    ] as const
  )("%s=%j", ([name, value, reason]) =>
    Effect.gen(function*() {
      const error = yield* buildError(RetryConfig.layer)
      expect(error._tag).toBe("InvalidPolicyError")
      expect(error.field).toBe(name)
      expect(error.value).toBe(value)
      expect(error.message).toBe(`Invalid ${name}: ${reason}, got ${JSON.stringify(value)}`)
    }).pipe(withVars({ [name]: value })))

  it.effect("the exact text, for the record", () =>
    Effect.gen(function*() {
      const error = yield* buildError(RetryConfig.layer)
      expect(error.message).toBe(`Invalid RETRY_DEFAULT_MAX_RETRIES: must be an integer ≥ 0, got "three"`)
      expect(String(error)).toBe(
        `InvalidPolicyError: Invalid RETRY_DEFAULT_MAX_RETRIES: must be an integer ≥ 0, got "three"`
      )
    }).pipe(withVars({ RETRY_DEFAULT_MAX_RETRIES: "three", RETRY_DEFAULT_BASE_DELAY: "-5" })))

  it.effect("nothing runs under a layer that failed", () =>
    Effect.gen(function*() {
      let ran = false
      const exit = yield* Effect.exit(Effect.sync(() => (ran = true)).pipe(Effect.provide(RetryConfig.layer)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(ran).toBe(false)
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "-5" })))
})

describe("the settings object", () => {
  const guide: RetryConfig.Input = {
    ENABLED: true,
    DEFAULT_STRATEGY: "progressive",
    NETWORK_IMMEDIATE_RETRY: true,
    API_RATE_LIMIT_DELAY: 300,
    DATA_ERROR_NO_RETRY: true,
    MONITORING_ENABLED: true,
    ERROR_THRESHOLD: 50
  }

  it.effect("the guide's INTELLIGENT_RETRY_CONFIG resolves to the built-in defaults", () =>
    Effect.gen(function*() {
      const resolved = yield* RetryConfig.resolve(guide)
      expect(resolved.preset).toBe("defaults")
      expect(resolved.strategies).toEqual(Strategies.defaults)
      expect(resolved.settings).toEqual({
        enabled: true,
        monitoring: { enabled: true, errorThreshold: 50 },
        retryLogLevel: LogLevel.Info
      })
    }).pipe(withVars({})))

  it.effect("DEFAULT_STRATEGY picks a preset, laid over the defaults", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(net))
      expect(times).toEqual([0, 5000, 15_000, 35_000, 75_000])
      const strategies = yield* Strategies.Strategies
      expect(strategies.system_error).toBe(Strategies.defaults.system_error)
    }).pipe(Effect.provide(RetryConfig.layerFromSettings({ DEFAULT_STRATEGY: "tracking" })), withVars({})))

  it.effect("NETWORK_IMMEDIATE_RETRY=false backs network errors off progressively: 5 s, 10 s, 20 s, 40 s", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(net))
      expect(times).toEqual([0, 5000, 15_000, 35_000, 75_000])
    }).pipe(Effect.provide(RetryConfig.layerFromSettings({ NETWORK_IMMEDIATE_RETRY: false })), withVars({})))

  it.effect("NETWORK_IMMEDIATE_RETRY=true replaces a preset's backoff, keeps a preset's immediate policy", () =>
    Effect.gen(function*() {
      const tracking = yield* RetryConfig.resolve({ DEFAULT_STRATEGY: "tracking", NETWORK_IMMEDIATE_RETRY: true })
      expect(tracking.strategies.network_error).toEqual(Strategies.immediate())
      const screenshot = yield* RetryConfig.resolve({ DEFAULT_STRATEGY: "screenshot", NETWORK_IMMEDIATE_RETRY: true })
      expect(screenshot.strategies.network_error).toBe(Strategies.screenshot.network_error)
    }).pipe(withVars({})))

  it.effect("API_RATE_LIMIT_DELAY sets the rate-limit delay, in seconds", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(rate))
      expect(times).toEqual([0, 60_000, 180_000, 420_000])
    }).pipe(Effect.provide(RetryConfig.layerFromSettings({ API_RATE_LIMIT_DELAY: 60 })), withVars({})))

  it.effect("DATA_ERROR_NO_RETRY=false retries data errors with the temporary_error policy", () =>
    Effect.gen(function*() {
      // temporary_error: 60 s, 120 s, 240 s with full jitter; the draw 0.5 halves them
      const { times } = yield* run(many(() => new DataError({ message: "bad" }))).pipe(
        Effect.withRandom(Random.fixed([0.5]))
      )
      expect(times).toEqual([0, 30_000, 90_000, 210_000])
    }).pipe(Effect.provide(RetryConfig.layerFromSettings({ DATA_ERROR_NO_RETRY: false })), withVars({})))

  it.effect("MONITORING_ENABLED and ERROR_THRESHOLD are exposed as RetryConfig.monitoring", () =>
    Effect.gen(function*() {
      expect(yield* RetryConfig.monitoring).toEqual({ enabled: false, errorThreshold: 20 })
    }).pipe(
      Effect.provide(RetryConfig.layerFromSettings({ MONITORING_ENABLED: false, ERROR_THRESHOLD: 20 })),
      withVars({})
    ))

  it.effect("without configuration, RetryConfig.monitoring gives the defaults: enabled, threshold 50", () =>
    Effect.gen(function*() {
      const monitoring = yield* RetryConfig.monitoring
      expect(monitoring).toEqual(RetryConfig.defaultMonitoring)
      // the guide's ERROR_THRESHOLD, and RetryMonitor's default errorThreshold
      expect(monitoring).toEqual({ enabled: true, errorThreshold: 50 })
    }))

  it.effect("through the ConfigProvider, under INTELLIGENT_RETRY_CONFIG (ConfigProvider.fromJson)", () =>
    Effect.gen(function*() {
      const { settings, strategies } = yield* RetryConfig.resolve()
      expect(strategies.network_error).toEqual(Strategies.progressive())
      expect(settings.monitoring).toEqual({ enabled: true, errorThreshold: 5 })
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromJson({
      INTELLIGENT_RETRY_CONFIG: { NETWORK_IMMEDIATE_RETRY: false, ERROR_THRESHOLD: 5 }
    }))))

  it.effect("through the environment: INTELLIGENT_RETRY_CONFIG_DEFAULT_STRATEGY", () =>
    Effect.gen(function*() {
      const { preset } = yield* RetryConfig.resolve()
      expect(preset).toBe("document")
    }).pipe(withProcessEnv({ INTELLIGENT_RETRY_CONFIG_DEFAULT_STRATEGY: "document" })))

  it.effect("from a JSON file", () =>
    Effect.gen(function*() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "retry-config-")), "retry.json")
      fs.writeFileSync(file, JSON.stringify({ DEFAULT_STRATEGY: "tracking", ENABLED: false }))
      const { outcomes, times } = yield* run(many(net)).pipe(
        Effect.provide(RetryConfig.layerFromJsonFile(file).pipe(Layer.provide(NodeFileSystem.layer)))
      )
      expect(times).toEqual([0])
      expect(outcomes).toEqual(["disabled"])
      const strategies = yield* Strategies.Strategies.pipe(
        Effect.provide(RetryConfig.layerFromJsonFile(file).pipe(Layer.provide(NodeFileSystem.layer)))
      )
      expect(strategies.network_error).toBe(Strategies.tracking.network_error)
    }).pipe(withVars({})))
})

describe("malformed settings fail the layer, naming the key and the value", () => {
  it.effect.each(
    [
      [
        { DEFAULT_STRATEGY: "aggressive" },
        "DEFAULT_STRATEGY",
        "aggressive",
        `Invalid DEFAULT_STRATEGY: must be one of "defaults", "tracking", "screenshot", "document", "progressive", got "aggressive"`
      ],
      [
        { API_RATE_LIMIT_DELAY: -1 },
        "API_RATE_LIMIT_DELAY",
        -1,
        "Invalid API_RATE_LIMIT_DELAY: must be a non-negative number of seconds, got -1"
      ],
      [
        { ERROR_THRESHOLD: 2.5 },
        "ERROR_THRESHOLD",
        2.5,
        "Invalid ERROR_THRESHOLD: must be an integer ≥ 0, got 2.5"
      ],
      [
        { ENABLED: null },
        "ENABLED",
        null,
        "Invalid ENABLED: must be true or false (or yes/no, on/off, 1/0), got null"
      ],
      [
        { NETWORK_IMMEDIATE_RETRIES: true },
        "NETWORK_IMMEDIATE_RETRIES",
        true,
        "Invalid NETWORK_IMMEDIATE_RETRIES: is not a setting (ENABLED, DEFAULT_STRATEGY, NETWORK_IMMEDIATE_RETRY, " +
        "API_RATE_LIMIT_DELAY, DATA_ERROR_NO_RETRY, MONITORING_ENABLED, ERROR_THRESHOLD), got true"
      ]
    ] as const
  )("%j", ([settings, field, value, message]) =>
    Effect.gen(function*() {
      const error = yield* buildError(RetryConfig.layerFromSettings(settings as any))
      expect(error.field).toBe(field)
      expect(error.value).toBe(value)
      expect(error.message).toBe(message)
    }).pipe(withVars({})))

  it.effect("a settings object that is not an object", () =>
    Effect.gen(function*() {
      const error = yield* buildError(RetryConfig.layerFromSettings("tracking" as any))
      expect(error.field).toBe("settings")
      expect(error.message).toMatch(/^Invalid settings: must be an object of settings \(ENABLED, .*\), got "tracking"$/)
    }).pipe(withVars({})))

  it.effect("under INTELLIGENT_RETRY_CONFIG in the ConfigProvider, the key is named with its prefix", () =>
    Effect.gen(function*() {
      const error = yield* buildError(RetryConfig.layer)
      expect(error.field).toBe("INTELLIGENT_RETRY_CONFIG.DEFAULT_STRATEGY")
      expect(error.message).toMatch(/^Invalid INTELLIGENT_RETRY_CONFIG.DEFAULT_STRATEGY: must be one of .*got "fast"$/)
    }).pipe(withVars({ "INTELLIGENT_RETRY_CONFIG.DEFAULT_STRATEGY": "fast" })))

  it.effect("a JSON file: a bad value names the file; a missing file and bad JSON are errors too", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "retry-config-"))
      const bad = path.join(dir, "bad.json")
      fs.writeFileSync(bad, JSON.stringify({ ERROR_THRESHOLD: "many" }))
      const badValue = yield* buildError(RetryConfig.layerFromJsonFile(bad).pipe(Layer.provide(NodeFileSystem.layer)))
      expect(badValue.field).toBe("ERROR_THRESHOLD")
      expect(badValue.message).toBe(`Invalid ERROR_THRESHOLD: must be an integer ≥ 0, got "many" (in ${bad})`)

      const missing = path.join(dir, "missing.json")
      const notFound = yield* buildError(
        RetryConfig.layerFromJsonFile(missing).pipe(Layer.provide(NodeFileSystem.layer))
      )
      expect(notFound.field).toBe(missing)
      expect(notFound.message).toMatch(/^Invalid .*missing\.json: cannot be read \(NotFound: .*ENOENT/)

      const broken = path.join(dir, "broken.json")
      fs.writeFileSync(broken, "{ ENABLED: true }")
      const notJson = yield* buildError(RetryConfig.layerFromJsonFile(broken).pipe(Layer.provide(NodeFileSystem.layer)))
      expect(notJson.message).toMatch(/^Invalid .*broken\.json: is not valid JSON/)
    }).pipe(withVars({})))
})

describe("precedence: environment variables > settings object > preset > built-in defaults", () => {
  it.effect("INTELLIGENT_RETRY_ENABLED wins over ENABLED", () =>
    Effect.gen(function*() {
      const { outcomes, times } = yield* run(many(net))
      expect(times).toEqual([0])
      expect(outcomes).toEqual(["disabled"])
    }).pipe(
      Effect.provide(RetryConfig.layerFromSettings({ ENABLED: true })),
      withVars({ INTELLIGENT_RETRY_ENABLED: "false" })
    ))

  it.effect("RETRY_API_RATE_LIMIT_DELAY wins over API_RATE_LIMIT_DELAY", () =>
    Effect.gen(function*() {
      const { times } = yield* run(many(rate))
      expect(times).toEqual([0, 20_000, 60_000, 140_000])
    }).pipe(
      Effect.provide(RetryConfig.layerFromSettings({ API_RATE_LIMIT_DELAY: 100 })),
      withVars({ RETRY_API_RATE_LIMIT_DELAY: "20" })
    ))

  it.effect("the settings object wins over its preset; the variables over both", () =>
    Effect.gen(function*() {
      const { strategies } = yield* RetryConfig.resolve({ DEFAULT_STRATEGY: "tracking", API_RATE_LIMIT_DELAY: 100 })
      // tracking's network backoff, with the variable's retries
      expect(RetryPolicy.nominalWaits(strategies.network_error)).toEqual([5000, 10_000])
      // tracking's rate limit (max 30 min), with the settings' delay
      expect(RetryPolicy.nominalWaits(strategies.api_rate_limit)).toEqual([100_000, 200_000, 400_000])
    }).pipe(withVars({ RETRY_NETWORK_MAX_RETRIES: "2" })))

  it.effect("RETRY_DEFAULT_* follow the decision: screenshot's temporary_error is retry_with_delay, untouched", () =>
    Effect.gen(function*() {
      const { strategies } = yield* RetryConfig.resolve({ DEFAULT_STRATEGY: "screenshot" })
      expect(RetryConfig.defaultCategories(strategies)).toEqual(["system_error"])
      expect(strategies.temporary_error).toBe(Strategies.screenshot.temporary_error)
      expect(RetryPolicy.nominalWaits(strategies.system_error)).toEqual([1000])
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "1", RETRY_DEFAULT_MAX_RETRIES: "1" })))

  it.effect("RETRY_DEFAULT_* never touch network_error, even when it backs off", () =>
    Effect.gen(function*() {
      const { strategies } = yield* RetryConfig.resolve({ NETWORK_IMMEDIATE_RETRY: false })
      expect(strategies.network_error).toEqual(Strategies.progressive())
    }).pipe(withVars({ RETRY_DEFAULT_BASE_DELAY: "1", RETRY_DEFAULT_MAX_RETRIES: "1" })))

  it.effect("layerFromSettings replaces the settings object under INTELLIGENT_RETRY_CONFIG", () =>
    Effect.gen(function*() {
      const strategies = yield* Strategies.Strategies
      expect(strategies.network_error).toBe(Strategies.defaults.network_error)
    }).pipe(
      Effect.provide(RetryConfig.layerFromSettings({})),
      withVars({ "INTELLIGENT_RETRY_CONFIG.DEFAULT_STRATEGY": "tracking" })
    ))

  it.effect("a run's own strategies option still wins over the configured table", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(many(rate))
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 1, baseDelay: "1 second" } }
      })))
      expect(times).toEqual([0, 1000])
    }).pipe(Effect.provide(RetryConfig.layer), withVars({ RETRY_API_RATE_LIMIT_DELAY: "20" })))
})

describe("RetryConfig without a layer", () => {
  it.effect("the default is what the environment says (here: nothing set), with the built-in table", () =>
    Effect.gen(function*() {
      expect(yield* RetryConfig.RetryConfig).toEqual({
        enabled: true,
        monitoring: { enabled: true, errorThreshold: 50 },
        retryLogLevel: LogLevel.Info
      })
      expect(yield* Strategies.Strategies).toBe(Strategies.defaults)
      expect(Duration.toSeconds(Strategies.defaults.api_rate_limit.baseDelay)).toBe(300)
    }))

  it("every preset name is accepted by DEFAULT_STRATEGY", () => {
    for (const name of Object.keys(Strategies.presets)) {
      const exit = Effect.runSyncExit(
        RetryConfig.resolve({ DEFAULT_STRATEGY: name as any }).pipe(withVars({}))
      )
      expect(Exit.isSuccess(exit)).toBe(true)
    }
  })
})
