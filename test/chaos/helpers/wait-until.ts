/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` every `everyMs` until it holds (true) or `timeoutMs` has passed
 * (false). It never throws for the timeout, so a scenario can still measure and record
 * what it got before it asserts.
 */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** Resolves with the promise's value, or rejects with `message` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
