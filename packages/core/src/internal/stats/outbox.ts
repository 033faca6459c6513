/**
 * What a store has folded but not yet handed to its sink: per-minute aggregates and samples,
 * bounded. Synchronous; the delivery fiber (`delivery.ts`) empties it.
 *
 * @internal
 */
import type { DeliveryStatus, ErrorSample, MinuteAggregate, SinkBatch } from "../../RetryStats.js"
import { outcomes } from "../retryOutcome.js"
import type { Bucket } from "./bucket.js"
import { C, columnName, COLUMNS, F_OUTCOMES, F_RECOVERED_ONE, F_RETRIES, F_WAIT, STRIDE } from "./layout.js"

interface MutableAggregate {
  readonly task: string
  readonly category: MinuteAggregate["category"]
  readonly minute: number
  readonly index: number
  failures: number
  retries: number
  waitMillis: number
  recoveredAfterOneRetry: number
  outcomes: Record<string, number>
}

/** @internal */
export class Outbox {
  /** Aggregates of buckets not closed yet, by `index / column / task`. */
  private readonly open = new Map<string, MutableAggregate>()
  private openSamples: Array<ErrorSample> = []
  /** Closed aggregates and samples waiting for the sink, oldest first. */
  aggregates: Array<MinuteAggregate> = []
  samples: Array<ErrorSample> = []
  droppedAggregates = 0
  droppedSamples = 0
  writtenAggregates = 0
  writtenSamples = 0
  failedWrites = 0

  constructor(readonly maxPending: number) {}

  /** Adds the counters of a folded bucket (names by id, as they are now). */
  addBucket(bucket: Bucket, names: ReadonlyArray<string | undefined>, overflowName: string): void {
    const minute = bucket.start
    bucket.forEach((key, value) => {
      const id = Math.floor(key / STRIDE)
      const field = key - id * STRIDE
      let c: number
      let o = -1
      if (field < F_OUTCOMES) c = field % C
      else {
        o = Math.floor((field - F_OUTCOMES) / COLUMNS)
        c = (field - F_OUTCOMES) % COLUMNS
      }
      const task = names[id] ?? overflowName
      const k = `${bucket.index}/${c}/${task}`
      let a = this.open.get(k)
      if (a === undefined) {
        a = {
          task,
          category: columnName(c),
          minute,
          index: bucket.index,
          failures: 0,
          retries: 0,
          waitMillis: 0,
          recoveredAfterOneRetry: 0,
          outcomes: {}
        }
        this.open.set(k, a)
      }
      if (o >= 0) a.outcomes[outcomes[o]] = (a.outcomes[outcomes[o]] ?? 0) + value
      else if (field < F_RETRIES) a.failures += value
      else if (field < F_WAIT) a.retries += value
      else if (field < F_RECOVERED_ONE) a.waitMillis += value
      else a.recoveredAfterOneRetry += value
    })
  }

  addSamples(samples: ReadonlyArray<ErrorSample>): void {
    for (const s of samples) this.openSamples.push(s)
    const excess = this.openSamples.length - this.maxPending
    if (excess > 0) {
      this.openSamples = this.openSamples.slice(excess)
      this.droppedSamples += excess
    }
  }

  /**
   * Moves the aggregates of buckets with an index below `closedBefore` (all with `Infinity`),
   * and every sample, to the queue for the sink. Past `maxPending` entries, the newest are
   * dropped and counted.
   */
  handOff(closedBefore: number): void {
    for (const [k, a] of this.open) {
      if (a.index >= closedBefore) continue
      this.open.delete(k)
      if (this.aggregates.length >= this.maxPending) {
        this.droppedAggregates++
        continue
      }
      this.aggregates.push({
        task: a.task,
        category: a.category,
        minute: a.minute,
        failures: a.failures,
        retries: a.retries,
        waitMillis: a.waitMillis,
        recoveredAfterOneRetry: a.recoveredAfterOneRetry,
        outcomes: a.outcomes
      })
    }
    for (const s of this.openSamples) {
      if (this.samples.length >= this.maxPending) this.droppedSamples++
      else this.samples.push(s)
    }
    this.openSamples = []
  }

  /** The batch being written: sent again, unchanged and with its id, until it is written. */
  private inflight: SinkBatch | undefined = undefined
  private sequence = 0

  /** The next batch to write: the one in flight, or the first `size` entries of each queue. */
  take(size: number, storeId: string): SinkBatch {
    if (this.inflight === undefined) {
      this.inflight = {
        id: `${storeId}-${this.sequence++}`,
        aggregates: this.aggregates.slice(0, size),
        samples: this.samples.slice(0, size)
      }
    }
    return this.inflight
  }

  /** The batch in flight was written: removes its entries. */
  commit(): void {
    const batch = this.inflight
    if (batch === undefined) return
    this.inflight = undefined
    this.aggregates = this.aggregates.slice(batch.aggregates.length)
    this.samples = this.samples.slice(batch.samples.length)
    this.writtenAggregates += batch.aggregates.length
    this.writtenSamples += batch.samples.length
  }

  status(): DeliveryStatus {
    return {
      pendingAggregates: this.aggregates.length + this.open.size,
      pendingSamples: this.samples.length + this.openSamples.length,
      droppedAggregates: this.droppedAggregates,
      droppedSamples: this.droppedSamples,
      writtenAggregates: this.writtenAggregates,
      writtenSamples: this.writtenSamples,
      failedWrites: this.failedWrites
    }
  }
}
