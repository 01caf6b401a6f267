import { type Config, ConfigError } from './config.ts';
import { describeStartupFailure } from './startup-failure.ts';

/**
 * How a command-line tool (`npm run migrate`, `ledger:check`, `ops`) reports a failure: one line
 * naming the cause and the fix when it is a known one (a wrong variable, the embedded database
 * held by a running service, the database unreachable), as the service's own start does; the
 * error itself otherwise. Sets exit code 1.
 */
export function reportCliFailure(command: string, error: unknown, config: Config | undefined): void {
  const known =
    error instanceof ConfigError
      ? `Configuration error: ${error.message}`
      : config === undefined
        ? undefined
        : describeStartupFailure(error, config);
  if (known !== undefined) {
    process.stderr.write(`${known}\n`);
  } else {
    process.stderr.write(
      `${command} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
