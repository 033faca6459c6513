/**
 * The ring of samples recorded since the last fold: parallel arrays, so that recording a failure
 * allocates only the strings of the sample.
 *
 * @internal
 */
import type { ErrorSample } from "../../RetryStats.js"
import { categories } from "../errorCategory.js"
import { safeMessage, safeTag } from "../redact.js"

/** @internal */
export class SampleRing {
  private readonly time: Float64Array
  private readonly attempt: Float64Array
  private readonly category: Uint8Array
  private readonly task: Array<string>
  private readonly tag: Array<string>
  private readonly message: Array<string>
  private next = 0
  count = 0

  constructor(readonly capacity: number) {
    this.time = new Float64Array(capacity)
    this.attempt = new Float64Array(capacity)
    this.category = new Uint8Array(capacity)
    this.task = new Array(capacity).fill("")
    this.tag = new Array(capacity).fill("")
    this.message = new Array(capacity).fill("")
  }

  /** Records a sample; the oldest is overwritten when the ring is full. */
  push(now: number, task: string, c: number, error: unknown, attempt: number): void {
    const i = this.next
    this.time[i] = now
    this.attempt[i] = typeof attempt === "number" ? attempt : 0
    this.category[i] = c
    this.task[i] = task
    this.tag[i] = safeTag(error)
    this.message[i] = safeMessage(error)
    this.next = i + 1 === this.capacity ? 0 : i + 1
    if (this.count < this.capacity) this.count++
  }

  /** Takes every sample held, oldest first, and empties the ring. */
  drain(): Array<ErrorSample> {
    const n = this.capacity
    const out: Array<ErrorSample> = []
    for (let k = 0; k < this.count; k++) {
      const i = (this.next - this.count + k + n) % n
      out.push({
        time: this.time[i],
        task: this.task[i],
        category: categories[this.category[i]],
        tag: this.tag[i],
        message: this.message[i],
        attempt: this.attempt[i]
      })
      this.task[i] = ""
      this.tag[i] = ""
      this.message[i] = ""
    }
    this.count = 0
    this.next = 0
    return out
  }
}
