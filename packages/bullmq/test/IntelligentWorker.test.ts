/**
 * IntelligentWorker against a real Redis (REDIS_URL, started by scripts/services.sh) and a local
 * HTTP server. Worker processes are spawned with node directly (not npx), so that SIGKILL kills
 * the worker itself. Every test uses its own queue name.
 */
import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
import { IntelligentWorker } from "@intelligent-retry/bullmq"
import { InvalidPolicyError, RateLimitError, RetryCooldown, RetryState, RetryStats } from "@intelligent-retry/core"
import { type Job, Queue, QueueEvents, Worker } from "bullmq"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { Redis } from "ioredis"
import { type ChildProcess, spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { afterEach, expect, it } from "vitest"
import { describeWithServices, serviceUrl } from "../../../test/services.js"

const root = path.resolve(import.meta.dirname, "../../..")
const fixture = path.join(import.meta.dirname, "fixtures", "worker.ts")

/** Things to release after each test, last first. */
let cleanups: Array<() => Promise<unknown> | unknown> = []
afterEach(async () => {
  const list = cleanups.reverse()
  cleanups = []
  for (const cleanup of list) {
    try {
      await cleanup()
    } catch {
      // best effort: a test already failed if a resource is broken
    }
  }
})

const connect = () => {
  const redis = new Redis(serviceUrl("redis"), { maxRetriesPerRequest: null })
  cleanups.push(() => redis.quit())
  return redis
}

interface Request {
  readonly path: string
  readonly job: string
  readonly at: number
}

/** A local HTTP server whose answer for each path is scripted: `respond(path, nth)` (nth from 1). */
const server = async (respond: (path: string, nth: number) => { status: number; headers?: Record<string, string> }) => {
  const requests: Array<Request> = []
  const counts = new Map<string, number>()
  const srv = http.createServer((req, res) => {
    const p = (req.url ?? "/").slice(1)
    const nth = (counts.get(p) ?? 0) + 1
    counts.set(p, nth)
    requests.push({ path: p, job: String(req.headers["x-job-id"]), at: Date.now() })
    const { headers = {}, status } = respond(p, nth)
    res.writeHead(status, { "content-type": "text/plain", ...headers })
    res.end(status === 200 ? `delivered ${p}` : `status ${status}`)
  })
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve))
  cleanups.push(() => new Promise((resolve) => srv.close(resolve)))
  const { port } = srv.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, requests, counts }
}

const queueFor = (name: string) => {
  const queue = new Queue(name, { connection: connect() })
  cleanups.push(async () => {
    await queue.obliterate({ force: true })
    await queue.close()
  })
  return queue
}

/** Every `completed` and `failed` event of a queue, by job id. */
const events = async (name: string) => {
  const queueEvents = new QueueEvents(name, { connection: connect() })
  const completed = new Map<string, number>()
  const failed = new Map<string, string>()
  queueEvents.on("completed", ({ jobId }) => completed.set(jobId, (completed.get(jobId) ?? 0) + 1))
  queueEvents.on("failed", ({ failedReason, jobId }) => failed.set(jobId, failedReason))
  await queueEvents.waitUntilReady()
  cleanups.push(() => queueEvents.close())
  return { completed, failed }
}

interface WorkerProcess {
  readonly child: ChildProcess
  readonly output: () => string
}

const spawnWorker = async (env: Record<string, string>): Promise<WorkerProcess> => {
  // node itself, not npx: a SIGKILL must reach the worker
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fixture], {
    cwd: root,
    env: { ...process.env, REDIS_URL: serviceUrl("redis"), ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout!.on("data", (chunk) => output += chunk)
  child.stderr!.on("data", (chunk) => output += chunk)
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  })
  await until(() => output.includes("ready") || child.exitCode !== null, 30_000, () => `worker start: ${output}`)
  if (!output.includes("ready")) throw new Error(`the worker did not start:\n${output}`)
  return { child, output: () => output }
}

const kill = async (worker: WorkerProcess) => {
  const exited = new Promise((resolve) => worker.child.once("exit", resolve))
  worker.child.kill("SIGKILL")
  await exited
  expect(worker.child.signalCode).toBe("SIGKILL")
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const until = async (condition: () => boolean | Promise<boolean>, timeout: number, what: () => string) => {
  const deadline = Date.now() + timeout
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await sleep(25)
  }
}

const stateOf = async (queue: Queue, id: string) => (await queue.getJob(id))?.getState()

const uniqueQueue = (label: string) => `ir-bullmq-${label}-${randomUUID().slice(0, 8)}`

describeWithServices("IntelligentWorker against Redis", ["redis"], () => {
  it(
    "a job rate-limited twice survives SIGKILL of its worker during the delay; a new worker completes it",
    async () => {
      const target = await server((_, nth) =>
        nth <= 2 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200 }
      )
      const name = uniqueQueue("kill")
      const queue = queueFor(name)
      const seen = await events(name)
      const env = { QUEUE: name, TARGET: target.url, AFTER_MS: "1000" }

      const first = await spawnWorker(env)
      const job = await queue.add("track", { path: "track/1Z999" }, { attempts: 3 })
      await until(
        async () => target.requests.length === 1 && (await stateOf(queue, job.id!)) === "delayed",
        15_000,
        () => `the first hand-off (${target.requests.length} requests)`
      )
      const delayed = (await queue.getJob(job.id!))!
      const saved = delayed.data[IntelligentWorker.dataKey] as IntelligentWorker.Saved
      expect(delayed.data.path).toBe("track/1Z999")
      expect(RetryState.is(saved.state)).toBe(true)
      expect((saved.state as RetryState.RetryState).attempts).toBe(1)
      // Retry-After: 2 → resume 2 s after the hand-off
      expect(saved.resumeAt - target.requests[0].at).toBeGreaterThanOrEqual(1900)
      expect(saved.resumeAt - target.requests[0].at).toBeLessThan(2600)

      await kill(first)
      const second = await spawnWorker(env)
      await until(
        async () => (await stateOf(queue, job.id!)) === "completed",
        20_000,
        () => `completion (${target.requests.length} requests, worker: ${second.output()})`
      )
      await sleep(300) // let any duplicate event arrive

      expect(target.requests.map((r) => r.path)).toEqual(["track/1Z999", "track/1Z999", "track/1Z999"])
      // each request came no earlier than the hint after the one before
      expect(target.requests[1].at - target.requests[0].at).toBeGreaterThanOrEqual(1900)
      expect(target.requests[2].at - target.requests[1].at).toBeGreaterThanOrEqual(1900)
      const done = (await queue.getJob(job.id!))!
      expect(done.returnvalue).toBe("delivered track/1Z999")
      // the two hand-offs consumed no attempt: only the completing one counts
      expect(done.attemptsMade).toBe(1)
      expect((done.data[IntelligentWorker.dataKey] as IntelligentWorker.Saved).state).toMatchObject({
        attempts: 2,
        retries: { api_rate_limit: 2 }
      })
      expect(seen.completed.get(job.id!)).toBe(1)
      expect(seen.failed.size).toBe(0)
    },
    60_000
  )

  it("a 404 ends the job at once as unrecoverable, after 1 request, whatever its attempts", async () => {
    const target = await server(() => ({ status: 404 }))
    const name = uniqueQueue("404")
    const queue = queueFor(name)
    const seen = await events(name)
    const processor = IntelligentWorker.processor(
      (job: Job<{ path: string }>) =>
        HttpClient.get(`${target.url}/${job.data.path}`).pipe(
          Effect.flatMap(HttpClientResponse.filterStatusOk),
          Effect.flatMap((r) => r.text)
        ),
      { layer: FetchHttpClient.layer }
    )
    const worker = new Worker(name, processor, { connection: connect() })
    cleanups.push(() => worker.close().then(() => processor.dispose()))
    const job = await queue.add("track", { path: "track/missing" }, { attempts: 5, backoff: 0 })
    await until(async () => (await stateOf(queue, job.id!)) === "failed", 15_000, () => "failure")
    await sleep(500) // BullMQ would have retried by now, had it been allowed to
    const failed = (await queue.getJob(job.id!))!
    expect(target.requests).toHaveLength(1)
    expect(failed.failedReason).toMatch(/^intelligent-retry: not_retryable \(permanent_error\) after 1 attempt/)
    expect(IntelligentWorker.stoppedBy(failed.failedReason)).toEqual({
      outcome: "not_retryable",
      category: "permanent_error"
    })
    expect(failed.attemptsMade).toBe(1)
    expect(await failed.getState()).toBe("failed")
    expect(seen.failed.get(job.id!)).toBe(failed.failedReason)
  }, 30_000)

  it(
    "a job picked up before its saved resumeAt is delayed again, not run; an invalid saved run, or one saved beyond the wait ceiling, is not trusted",
    async () => {
      const target = await server(() => ({ status: 200 }))
      const name = uniqueQueue("early")
      const queue = queueFor(name)
      const processor = IntelligentWorker.processor(
        (job: Job<{ path: string }>) =>
          HttpClient.get(`${target.url}/${job.data.path}`).pipe(
            Effect.flatMap(HttpClientResponse.filterStatusOk),
            Effect.flatMap((r) => r.text)
          ),
        { layer: FetchHttpClient.layer }
      )
      const worker = new Worker(name, processor, { connection: connect() })
      cleanups.push(() => worker.close().then(() => processor.dispose()))
      // as left by a worker that died between updateData and moveToDelayed: waiting, with a future resumeAt
      const resumeAt = Date.now() + 1500
      const state = { ...RetryState.initial(Date.now() - 1000), attempts: 1, retries: { api_rate_limit: 1 } }
      const early = await queue.add("track", {
        path: "early",
        [IntelligentWorker.dataKey]: { state, resumeAt }
      })
      const bad = await queue.add("track", {
        path: "bad",
        [IntelligentWorker.dataKey]: { state: { ...state, version: 99 }, resumeAt: 0 }
      }, { attempts: 3 })
      // a saved time 30 days ahead (job data is outside input) would park the job for a month
      const far = await queue.add("track", {
        path: "far",
        [IntelligentWorker.dataKey]: { state, resumeAt: Date.now() + 30 * 24 * 3600_000 }
      }, { attempts: 3 })
      await until(async () => (await stateOf(queue, early.id!)) === "completed", 15_000, () => "the early job")
      await until(async () => (await stateOf(queue, bad.id!)) === "failed", 15_000, () => "the bad job")
      await until(async () => (await stateOf(queue, far.id!)) === "failed", 15_000, () => "the far job")
      const parked = (await queue.getJob(far.id!))!
      expect(parked.failedReason).toMatch(
        new RegExp(
          `data\\.${IntelligentWorker.dataKey}\\.resumeAt is \\d+ ms ahead, beyond the wait ceiling of 86400000 ms`
        )
      )
      expect(parked.attemptsMade).toBe(1)
      expect(target.requests.map((r) => r.path)).toEqual(["early"])
      expect(target.requests[0].at).toBeGreaterThanOrEqual(resumeAt)
      const failed = (await queue.getJob(bad.id!))!
      expect(failed.failedReason).toContain("not trusted")
      expect(failed.failedReason).toContain(`data.${IntelligentWorker.dataKey}.state.version`)
      expect(failed.attemptsMade).toBe(1)
    },
    30_000
  )

  it(
    "statistics of a handed-off job count one run, in the runtime given: failure and retry, then recovered",
    async () => {
      const target = await server((_, nth) =>
        nth === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }
      )
      const name = uniqueQueue("stats")
      const queue = queueFor(name)
      const managed = ManagedRuntime.make(Layer.merge(RetryStats.layer, FetchHttpClient.layer))
      cleanups.push(() => managed.dispose())
      const processor = IntelligentWorker.processor(
        (job: Job<{ path: string }>) =>
          HttpClient.get(`${target.url}/${job.data.path}`).pipe(
            Effect.flatMap(HttpClientResponse.filterStatusOk),
            Effect.flatMap((r) => r.text)
          ),
        {
          after: "500 millis",
          strategies: {
            api_rate_limit: {
              decision: "retry_with_delay",
              maxRetries: 3,
              baseDelay: 100,
              maxDelay: 10_000,
              jitter: false
            }
          },
          runtime: await managed.runtime()
        }
      )
      const worker = new Worker(name, processor, { connection: connect() })
      cleanups.push(() => worker.close())
      const job = await queue.add("track", { path: "track/stats" })
      await until(async () => (await stateOf(queue, job.id!)) === "completed", 15_000, () => "completion")
      const analysis = await managed.runPromise(RetryStats.analyzeTaskErrors("track"))
      expect(analysis.totalErrors).toBe(1)
      expect(analysis.categoryDistribution.api_rate_limit).toBe(1)
      expect(analysis.retries).toBe(1)
      expect(analysis.waitMillis).toBe(1000) // the Retry-After, exactly (no jitter)
      expect(analysis.outcomes).toMatchObject({ recovered: 1, succeeded_first_try: 0, interrupted: 0, died: 0 })
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(1)
      expect(target.requests).toHaveLength(2)
      expect(target.requests[1].at - target.requests[0].at).toBeGreaterThanOrEqual(950)
    },
    30_000
  )

  it("a handed-off job promoted early (job.promote()) is delayed again until its resumeAt", async () => {
    const target = await server((_, nth) =>
      nth === 1 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200 }
    )
    const name = uniqueQueue("promote")
    const queue = queueFor(name)
    const processor = IntelligentWorker.processor(
      (job: Job<{ path: string }>) =>
        HttpClient.get(`${target.url}/${job.data.path}`).pipe(
          Effect.flatMap(HttpClientResponse.filterStatusOk),
          Effect.flatMap((r) => r.text)
        ),
      {
        after: "1 second",
        strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 100, jitter: false } },
        layer: FetchHttpClient.layer
      }
    )
    const worker = new Worker(name, processor, { connection: connect() })
    cleanups.push(() => worker.close().then(() => processor.dispose()))
    const job = await queue.add("track", { path: "track/promoted" })
    await until(async () => (await stateOf(queue, job.id!)) === "delayed", 15_000, () => "the hand-off")
    const { resumeAt } = (await queue.getJob(job.id!))!.data[IntelligentWorker.dataKey] as IntelligentWorker.Saved
    await (await queue.getJob(job.id!))!.promote()
    // picked up at once, found early, delayed again
    await until(async () => (await stateOf(queue, job.id!)) === "delayed", 5_000, () => "the second delay")
    expect(target.requests).toHaveLength(1)
    await until(async () => (await stateOf(queue, job.id!)) === "completed", 15_000, () => "completion")
    expect(target.requests).toHaveLength(2)
    expect(target.requests[1].at).toBeGreaterThanOrEqual(resumeAt)
  }, 30_000)

  it("a job whose key cools down for longer than `after` is delayed before its first request, then runs", async () => {
    const target = await server(() => ({ status: 200 }))
    const name = uniqueQueue("cooldown")
    const queue = queueFor(name)
    // another process saw a 429 with Retry-After: 3 for this key (through a shared store)
    const registry = RetryCooldown.make()
    const now = Date.now()
    registry.unsafeHold("carrier", now + 3000, now, Clock.make())
    const processor = IntelligentWorker.processor(
      (job: Job<{ path: string }>) =>
        HttpClient.get(`${target.url}/${job.data.path}`).pipe(
          Effect.flatMap(HttpClientResponse.filterStatusOk),
          Effect.flatMap((r) => r.text)
        ),
      {
        after: "1 second",
        budgetKey: "carrier",
        layer: Layer.merge(FetchHttpClient.layer, Layer.succeed(RetryCooldown.RetryCooldown, registry))
      }
    )
    const worker = new Worker(name, processor, { connection: connect() })
    cleanups.push(() => worker.close().then(() => processor.dispose()))
    const job = await queue.add("track", { path: "track/held" })
    await until(async () => (await stateOf(queue, job.id!)) === "delayed", 10_000, () => "the hand-off")
    const saved = (await queue.getJob(job.id!))!.data[IntelligentWorker.dataKey] as IntelligentWorker.Saved
    // handed off before any request, to resume when the hold ends
    expect(target.requests).toHaveLength(0)
    expect(saved.resumeAt).toBe(now + 3000)
    expect(saved.state).toMatchObject({ attempts: 0 })
    await until(async () => (await stateOf(queue, job.id!)) === "completed", 15_000, () => "completion")
    expect(target.requests).toHaveLength(1)
    expect(target.requests[0].at).toBeGreaterThanOrEqual(now + 3000)
  }, 30_000)

  it("a defect goes to BullMQ's attempts; an exhausted category ends the job whatever its attempts", async () => {
    const name = uniqueQueue("defect")
    const queue = queueFor(name)
    const calls = new Map<string, number>()
    const processor = IntelligentWorker.processor(
      (job: Job<{ kind: "bug" | "throttled" }>) =>
        Effect.suspend(() => {
          const n = (calls.get(job.id!) ?? 0) + 1
          calls.set(job.id!, n)
          if (job.data.kind === "bug") return n === 1 ? Effect.die(new Error("a bug")) : Effect.succeed(`ok after ${n}`)
          return Effect.fail(new RateLimitError({ message: "429" }))
        }),
      { strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 1, baseDelay: 0 } } }
    )
    const worker = new Worker(name, processor, { connection: connect() })
    cleanups.push(() => worker.close())
    const bug = await queue.add("job", { kind: "bug" as const }, { attempts: 2, backoff: 0 })
    const throttled = await queue.add("job", { kind: "throttled" as const }, { attempts: 5, backoff: 0 })
    await until(async () => (await stateOf(queue, bug.id!)) === "completed", 15_000, () => "the bug job")
    await until(async () => (await stateOf(queue, throttled.id!)) === "failed", 15_000, () => "the throttled job")
    await sleep(300)
    const done = (await queue.getJob(bug.id!))!
    expect(done.returnvalue).toBe("ok after 2")
    expect(done.attemptsMade).toBe(2) // the defect used one of BullMQ's attempts
    const failed = (await queue.getJob(throttled.id!))!
    expect(calls.get(throttled.id!)).toBe(2) // one attempt and its one retry, in-process (wait 0)
    expect(failed.failedReason).toBe(
      "intelligent-retry: exhausted (api_rate_limit) after 2 attempts, 1 retry: RateLimitError"
    )
    expect(failed.attemptsMade).toBe(1)
  }, 30_000)

  it("100 jobs through 4 worker processes, one killed mid-run: every job ends exactly once, none lost", async () => {
    // every job: one 429 with Retry-After: 1 (handed off), then 200
    const target = await server((_, nth) =>
      nth === 1 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }
    )
    const name = uniqueQueue("fleet")
    const queue = queueFor(name)
    const seen = await events(name)
    const env = {
      QUEUE: name,
      TARGET: target.url,
      AFTER_MS: "500",
      CONCURRENCY: "5",
      LOCK_MS: "2000",
      STALLED_MS: "1000"
    }
    const workers = await Promise.all([spawnWorker(env), spawnWorker(env), spawnWorker(env), spawnWorker(env)])
    const jobs = await queue.addBulk(
      Array.from({ length: 100 }, (_, i) => ({ name: "track", data: { path: `track/${i}` }, opts: { attempts: 2 } }))
    )
    await until(() => target.requests.length >= 60, 20_000, () => `mid-run (${target.requests.length} requests)`)
    await kill(workers[0])
    await until(
      async () => {
        const counts = await queue.getJobCounts("completed", "failed")
        return counts.completed + counts.failed === 100
      },
      40_000,
      () => `the end of every job (${target.requests.length} requests)`
    )
    await sleep(500)

    const counts = await queue.getJobCounts("completed", "failed", "waiting", "active", "delayed")
    expect(counts).toEqual({ completed: 100, failed: 0, waiting: 0, active: 0, delayed: 0 })
    for (const job of jobs) {
      expect(seen.completed.get(job.id!), `job ${job.id}`).toBe(1)
      expect((await queue.getJob(job.id!))!.returnvalue).toBe(`delivered ${job.data.path}`)
    }
    expect(seen.completed.size).toBe(100)
    // at least one 429 and one 200 per job; a job whose attempt was cut by the kill may be tried again
    for (let i = 0; i < 100; i++) expect(target.counts.get(`track/${i}`)).toBeGreaterThanOrEqual(2)
  }, 60_000)

  it("options are validated when the processor is built", () => {
    expect(() => IntelligentWorker.processor(() => Effect.void, { after: -1 })).toThrow(InvalidPolicyError)
    expect(() => IntelligentWorker.processor(() => Effect.void, { maxAttempts: 0 })).toThrow(/maxAttempts/)
    expect(() => IntelligentWorker.processor(() => Effect.void, { lockDuration: "0 millis" })).toThrow(
      `Invalid lockDuration: must be a finite duration of at least 1 second, got "0 millis"`
    )
    expect(() => IntelligentWorker.processor(() => Effect.void, { bogus: 1 } as any)).toThrow(/bogus/)
    expect(() => IntelligentWorker.processor(() => Effect.void, { runtime: {} as any, layer: Layer.empty }))
      .toThrow(/runtime/)
    // data-last, like the rest of the library
    const processor = IntelligentWorker.processor({ after: "1 second" })((job: Job<number>) => Effect.succeed(job.data))
    expect(typeof processor).toBe("function")
    expect(typeof processor.dispose).toBe("function")
  })
})
