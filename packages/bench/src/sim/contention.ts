/**
 * Scenario (a): contention, ported from the simulator behind the AWS Architecture Blog post
 * "Exponential Backoff And Jitter" (Marc Brooker, 2015; github.com/aws-samples/aws-arch-backoff-simulator,
 * `src/backoff_simulator.py`).
 *
 * N clients each perform one optimistic-concurrency write on a single row: read the version, then
 * write with it; the write succeeds only if the version is unchanged. Every network hop takes
 * |Normal(10 ms, 2 ms)|. After a failed write the client waits its backoff plus one hop, then reads
 * again. A run ends when no event is left; its time is that of the last event.
 */
import type { Policy, Retrier } from "./policies.js"
import { EventQueue } from "./queue.js"
import { hashSeed, Rng } from "./random.js"

/** The server's answer to a stale write, as the library's classifier sees it (409 → temporary_error). */
export const conflict = Object.freeze({ status: 409, message: "version conflict" })

/** The single row: a version that every successful write increments. */
export class OccServer {
  version = 0
  writes = 0
  failures = 0
  read(): number {
    return this.version
  }
  /** A write carrying the version the client read: succeeds only if nobody wrote since. */
  write(version: number): boolean {
    this.writes++
    if (version === this.version) {
      this.version++
      return true
    }
    this.failures++
    return false
  }
}

export interface ContentionRun {
  /** Write calls made by all clients. */
  readonly writes: number
  /** Time of the last event, milliseconds. */
  readonly time: number
  /** Clients whose write succeeded. */
  readonly succeeded: number
}

/** One run with `clients` clients, every client retrying with `policy`. */
export const runContention = (policy: Policy, clients: number, rng: Rng): ContentionRun => {
  const queue = new EventQueue()
  const server = new OccServer()
  const hop = () => Math.abs(rng.normal(10, 2))
  const request = policy.start(rng)
  let succeeded = 0
  // one handler per hop; the client's state travels as the event's argument
  interface Client {
    readonly retrier: Retrier
    version: number
    ok: boolean
  }
  const read = (now: number, client: Client) => {
    client.version = server.read()
    queue.schedule(now + hop(), readReply, client)
  }
  const readReply = (now: number, client: Client) => queue.schedule(now + hop(), write, client)
  const write = (now: number, client: Client) => {
    client.ok = server.write(client.version)
    queue.schedule(now + hop(), writeReply, client)
  }
  const writeReply = (now: number, client: Client) => {
    if (client.ok) {
      succeeded++
      client.retrier.success(now)
      return
    }
    const delay = hop()
    const wait = client.retrier.failure(now, conflict)
    if (wait !== undefined) queue.schedule(now + delay + wait, read, client)
  }
  for (let i = 0; i < clients; i++) queue.schedule(hop(), read, { retrier: request(), version: -1, ok: false })
  const time = queue.run()
  return { writes: server.writes, time, succeeded }
}

export interface ContentionRow {
  readonly policy: string
  readonly family: Policy["family"]
  readonly detail: string
  readonly clients: number
  readonly runs: number
  /** Mean write calls per client. */
  readonly writesPerClient: number
  /** Mean completion time, milliseconds. */
  readonly completionMs: number
  /** Fraction of clients whose write succeeded. */
  readonly successRate: number
}

/** `runs` seeded runs per client count, averaged as the AWS simulator averages them. */
export const contention = (
  policies: ReadonlyArray<Policy>,
  clientCounts: ReadonlyArray<number>,
  runs: number,
  seed: number
): Array<ContentionRow> => {
  const rows: Array<ContentionRow> = []
  for (const policy of policies) {
    for (const clients of clientCounts) {
      let writes = 0
      let time = 0
      let succeeded = 0
      for (let r = 0; r < runs; r++) {
        const run = runContention(policy, clients, new Rng(hashSeed(seed, "contention", policy.name, clients, r)))
        writes += run.writes
        time += run.time
        succeeded += run.succeeded
      }
      rows.push({
        policy: policy.name,
        family: policy.family,
        detail: policy.detail,
        clients,
        runs,
        writesPerClient: writes / runs / clients,
        completionMs: time / runs,
        successRate: succeeded / runs / clients
      })
    }
  }
  return rows
}
