/**
 * Budgets and cool-downs shared through a real Redis (REDIS_URL), across two processes (children
 * started with `node --import tsx`, never through npx), each test under a unique key prefix. The
 * outage test starts and stops its own throwaway redis-server on another port.
 */
import { InvalidPolicyError, NetworkError, RetryBudget, withIntelligentRetry } from "@intelligent-retry/core"
import { RedisRetry } from "@intelligent-retry/redis"
import { Cause, Effect, Exit, Layer, Logger, Ref } from "effect"
import { Redis } from "ioredis"
import type { ChildProcess } from "node:child_process"
import { spawn, spawnSync } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { expect, it } from "vitest"
import { describeWithServices, serviceUrl } from "../../../test/services.js"

const prefix = () => `intelligent-retry-test:retry:${Date.now()}:${Math.random().toString(36).slice(2)}:`
const worker = fileURLToPath(new URL("./fixtures/worker.ts", import.meta.url))
const root = fileURLToPath(new URL("../../..", import.meta.url))

/** A worker process; its stdout lines parsed as JSON. */
const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, ["--conditions", "source", "--import", "tsx", worker, ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"]
  })
  const lines: Array<any> = []
  const waiters: Array<() => void> = []
  let buffer = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => {
    buffer += String(chunk)
    let i: number
    while ((i = buffer.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)))
      buffer = buffer.slice(i + 1)
      waiters.splice(0).forEach((w) => w())
    }
  })
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)))
  const next = (predicate: (line: any) => boolean, timeout = 20_000): Promise<any> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker gave no such line in time; stderr: ${stderr}`)), timeout)
      const check = () => {
        const found = lines.find(predicate)
        if (found !== undefined) {
          clearTimeout(timer)
          resolve(found)
        } else waiters.push(check)
      }
      check()
    })
  return { child, next }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.exitCode !== null ? resolve(child.exitCode) : child.on("exit", resolve))

describeWithServices("RedisRetry", ["redis"], () => {
  it("two processes, 2 × 500 concurrent always-failing runs, one shared budget: at most 1,300 attempts", async () => {
    const url = serviceUrl("redis")
    const keyPrefix = prefix()
    const a = start(["fail", url, keyPrefix, "500"])
    const b = start(["fail", url, keyPrefix, "500"])
    const [ra, rb] = await Promise.all([a.next((l) => "attempts" in l, 60_000), b.next((l) => "attempts" in l, 60_000)])
    await Promise.all([exited(a.child), exited(b.child)])
    const total = ra.attempts + rb.attempts
    // 1,000 first attempts; the shared bucket (50 tokens, a retry only above 25) allows about 24 retries
    expect(total).toBeGreaterThan(1000)
    expect(total).toBeLessThanOrEqual(1300)
    const redis = new Redis(url)
    const balance = Number(await redis.hget(`${keyPrefix}budget:fleet`, "b"))
    const ttl = await redis.pttl(`${keyPrefix}budget:fleet`)
    await redis.quit()
    expect(balance).toBeGreaterThanOrEqual(0)
    expect(balance).toBeLessThanOrEqual(25)
    expect(ttl).toBeGreaterThan(0)
  }, 90_000)

  it("a 429 with Retry-After: 2 seen by one process holds the other's first attempts to the same key", async () => {
    const url = serviceUrl("redis")
    const keyPrefix = prefix()
    const follower = start(["follow", url, keyPrefix])
    await follower.next((l) => l.ready === true)
    const hinter = start(["hint", url, keyPrefix])
    await hinter.next((l) => l.hinted === true)
    follower.child.stdin!.write("go\n")
    const { delay } = await follower.next((l) => "delay" in l)
    await Promise.all([exited(hinter.child), exited(follower.child)])
    // published about 200 ms (plus start-up) before "go": the rest of the 2 s is held
    expect(delay).toBeGreaterThan(1000)
    expect(delay).toBeLessThan(2500)
  }, 60_000)

  it("Redis stopped mid-run: no run hangs, the local fallback budget applies, counted", async () => {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), "h16-redis-"))
    const pidfile = join(dir, "redis.pid")
    const started = spawnSync("redis-server", [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--pidfile",
      pidfile,
      "--dir",
      dir
    ])
    expect(started.status).toBe(0)
    const url = `redis://127.0.0.1:${port}`
    const admin = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    admin.on("error", () => {})
    for (let i = 0; i < 50; i++) {
      if (await admin.connect().then(() => true, () => false)) break
      await new Promise((r) => setTimeout(r, 100))
    }
    try {
      const program = Effect.gen(function*() {
        const client = admin.duplicate()
        client.on("error", () => {})
        yield* Effect.addFinalizer(() => Effect.sync(() => client.disconnect()))
        yield* Effect.promise(() => client.connect().catch(() => undefined))
        const store = yield* RedisRetry.make(client, { keyPrefix: prefix(), timeout: "100 millis" })
        const attempts = yield* Ref.make(0)
        const run = Ref.update(attempts, (n) => n + 1).pipe(
          Effect.zipRight(Effect.fail(new NetworkError({ message: "reset" }))),
          withIntelligentRetry({ task: "outage" }),
          Effect.exit
        )
        const many = (n: number) =>
          Effect.forEach(Array.from({ length: n }), () => run, { concurrency: "unbounded", discard: true })
        yield* many(20).pipe(Effect.provideService(RetryBudget.RetryBudget, store.budget))
        const before = store.health().budgetFallbacks
        // Redis stops: every later decision falls back to the local budget, within the timeout
        yield* Effect.promise(() => admin.shutdown("NOSAVE").catch(() => undefined))
        const t0 = Date.now()
        yield* many(500).pipe(Effect.provideService(RetryBudget.RetryBudget, store.budget))
        const elapsed = Date.now() - t0
        return { before, after: store.health().budgetFallbacks, attempts: yield* Ref.get(attempts), elapsed }
      }).pipe(Effect.scoped, Effect.provide(Logger.remove(Logger.defaultLogger)))
      const result = await Effect.runPromise(program)
      // (a loaded machine may time out a call or two before the stop, answered locally too)
      expect(result.after).toBeGreaterThan(result.before)
      // the local budget (50 tokens, the same configuration) bounds the 520 runs: no retry storm
      expect(result.attempts).toBeLessThanOrEqual(520 + 60)
      // nothing waited longer than the timeout per decision: 500 concurrent runs end in seconds
      expect(result.elapsed).toBeLessThan(10_000)
    } finally {
      admin.disconnect()
      spawnSync("sh", ["-c", `kill $(cat ${pidfile}) 2>/dev/null || true`])
    }
  }, 60_000)

  it("invalid options fail the layer with an InvalidPolicyError naming the field", async () => {
    const exit = await Effect.runPromiseExit(
      Layer.build(RedisRetry.layer({ url: "", keyPrefix: "x" })).pipe(Effect.scoped)
    )
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain("Invalid url")
    const budget = await Effect.runPromiseExit(
      Layer.build(RedisRetry.layer({ url: serviceUrl("redis"), budget: { maxTokens: 0 } })).pipe(Effect.scoped)
    )
    expect(Exit.isFailure(budget) && String(budget.cause)).toContain("budget.maxTokens")
    // every option is checked before connecting: port 1 is never dialled
    for (
      const [options, field, message] of [
        [{ timeout: 0 }, "timeout", "Invalid timeout: must be a positive, finite duration, got 0"],
        [{ keyPrefix: 3 }, "keyPrefix", "Invalid keyPrefix: must be a string, got 3"],
        [{ keyprefix: "x" }, "options.keyprefix", "is not an option of RedisRetry.layer"],
        [{ budget: { maxTokens: -1 } }, "budget.maxTokens", "got -1"]
      ] as const
    ) {
      const exit = await Effect.runPromiseExit(
        Layer.build(RedisRetry.layer({ url: "redis://127.0.0.1:1", ...options } as any)).pipe(Effect.scoped)
      )
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error, field).toBeInstanceOf(InvalidPolicyError)
      expect((error as InvalidPolicyError).field).toBe(field)
      expect((error as InvalidPolicyError).message).toContain(message)
    }
  })
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as any).port
      server.close(() => resolve(port))
    })
  })
