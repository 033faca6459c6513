/**
 * Task names as stored: scrubbed of secrets like messages, and truncated. Done once per distinct
 * name, when it is first seen, so the hot path pays nothing.
 *
 * @internal
 */
import { redact, truncate } from "../redact.js"

/** @internal */
export const MAX_TASK_NAME_LENGTH = 200

/** @internal */
export const scrubTaskName = (task: unknown): string => {
  let name: string
  try {
    name = typeof task === "string" ? task : String(task)
  } catch {
    name = "<unreadable>"
  }
  return truncate(redact(name), MAX_TASK_NAME_LENGTH)
}
