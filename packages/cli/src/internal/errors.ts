/**
 * What stops a command, with the exit code it ends with.
 *
 * @internal
 */
import * as Data from "effect/Data"

/**
 * A command that cannot go on: bad input (exit 1), a database that cannot be opened (exit 1), or
 * an unhealthy fleet (exit 2). The message is for the operator and has no secret in it.
 *
 * @internal
 */
export class CliError extends Data.TaggedError("CliError")<{
  readonly message: string
  readonly exitCode: number
}> {}
