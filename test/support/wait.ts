/** Polls until `probe` returns something other than undefined, or fails with what it was waiting for. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
      if (error instanceof Error && /exited/.test(error.message)) throw error;
    }
    if (Date.now() > deadline) {
      const what = typeof opts.what === 'function' ? opts.what() : (opts.what ?? 'condition');
      const cause = lastError instanceof Error ? `\nlast error: ${lastError.message}` : '';
      throw new Error(`timed out waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
