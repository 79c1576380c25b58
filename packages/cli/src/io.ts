/** Where a command writes and what environment it reads; the real process in bin/, buffers in tests. */
export interface CommandIo {
  readonly stdout: { write(text: string): unknown };
  /** `isTTY` true: a person watches it, so long operations show progress there. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A usage mistake: the message is printed with a pointer to `--help`, and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
