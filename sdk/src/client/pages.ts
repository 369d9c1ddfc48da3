/** One page of a list as the clients return it, reduced to what paging needs. */
export interface PageOf<T> {
  items: readonly T[];
  /** The next page's token; null on the last page. */
  nextPageToken: string | null;
}

/**
 * Every item of a paged list, fetching pages only as the loop asks for more: the one paging loop
 * behind each client's `listAll`. `fetchPage` reads the page at a token (undefined: the first, or
 * `startToken` when given); the loop ends after the page whose `nextPageToken` is null, or with
 * `signal`'s reason once it aborts (pass the same signal to `fetchPage`'s request).
 *
 * @example
 * const all = everyItem(undefined, async (pageToken) => {
 *   const page = await client.schedules.list({ pageToken });
 *   return { items: page.schedules, nextPageToken: page.nextPageToken };
 * });
 * for await (const s of all) console.log(s.scheduleId);
 */
export async function* everyItem<T>(startToken: string | undefined, fetchPage: (pageToken: string | undefined) => Promise<PageOf<T>>, signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
  let pageToken = startToken;
  do {
    signal?.throwIfAborted();
    const page = await fetchPage(pageToken);
    for (const item of page.items) {
      // Items already fetched are not handed out after an abort either: the loop ends where it was.
      signal?.throwIfAborted();
      yield item;
    }
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
}

/**
 * Every item of an async iterable in an array (`Array.fromAsync` for the ES2023 targets this SDK
 * supports): for a `listAll` whose list is known to be short.
 *
 * @example const keys = await collect(admin.keys.listAll({ namespace: "acme" }));
 */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
