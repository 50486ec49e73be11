/**
 * A known, user-actionable failure: printed without a stack trace, exits with `exitCode`
 * (2 = usage or config error, 1 = drift or error-level diagnostics). Anything else is a bug
 * and keeps its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
