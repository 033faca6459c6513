/**
 * @intelligent-retry/cli: the operator's command (`report`, `serve`, `check`) and its dashboard.
 *
 * @since 0.1.0
 */

/**
 * The `intelligent-retry` command.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
