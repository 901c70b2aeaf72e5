import { toFailure } from './issues';

/** One page as the control plane's paged lists return it (docs/control-plane.md "Pages"). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What a paged list asks the API: how many, after which cursor, names containing `search`. */
export interface PageArgs {
  first: number;
  after?: string;
  search?: string;
}

/**
 * A list read one page at a time through a keyset-paged API (docs/dashboard.md "Lists at scale").
 * The API pages forward only, so the cursors of the pages already seen are kept: "previous" asks
 * for the page before again with the cursor it was fetched with. Only the latest request's answer is
 * shown, so a slow answer to an older search never replaces a newer one.
 */
export class PagedList<T> {
  items = $state<T[]>([]);
  nextCursor = $state<string | null>(null);
  /** The search the shown page answers ('' = none). */
  search = $state('');
  loading = $state(false);
  error = $state('');
  /** Whether a page has been shown yet (before it, "no match" would be a lie). */
  loaded = $state(false);
  /** The cursor each page was fetched with, the current page's last; `undefined` = the first page. */
  #cursors = $state<Array<string | undefined>>([undefined]);
  #latest = 0;
  readonly #fetchPage: (args: PageArgs) => Promise<Page<T>>;
  readonly size: number;

  constructor(fetchPage: (args: PageArgs) => Promise<Page<T>>, size: number) {
    this.#fetchPage = fetchPage;
    this.size = size;
  }

  /** 1 on the first page. */
  get pageNumber(): number {
    return this.#cursors.length;
  }

  get hasPrevious(): boolean {
    return this.#cursors.length > 1;
  }

  get hasNext(): boolean {
    return this.nextCursor !== null;
  }

  /** The first page of the names containing `search` (trimmed; '' = everything). */
  async first(search = this.search): Promise<void> {
    await this.#load(search.trim(), [undefined]);
  }

  async next(): Promise<void> {
    if (this.nextCursor === null) return;
    await this.#load(this.search, [...this.#cursors, this.nextCursor]);
  }

  async previous(): Promise<void> {
    if (this.#cursors.length < 2) return;
    await this.#load(this.search, this.#cursors.slice(0, -1));
  }

  /** The current page again (after a create, an edit or a delete). */
  async reload(): Promise<void> {
    await this.#load(this.search, this.#cursors);
  }

  async #load(search: string, cursors: Array<string | undefined>): Promise<void> {
    const request = ++this.#latest;
    const after = cursors[cursors.length - 1];
    this.loading = true;
    try {
      const page = await this.#fetchPage({
        first: this.size,
        ...(after !== undefined ? { after } : {}),
        ...(search !== '' ? { search } : {}),
      });
      if (request !== this.#latest) return;
      // A page emptied by a delete (not the first): show the one before instead of an empty page.
      if (page.items.length === 0 && cursors.length > 1) {
        await this.#load(search, cursors.slice(0, -1));
        return;
      }
      this.items = page.items;
      this.nextCursor = page.nextCursor;
      this.search = search;
      this.#cursors = cursors;
      this.error = '';
      this.loaded = true;
    } catch (e) {
      if (request === this.#latest) this.error = toFailure(e).message;
    } finally {
      if (request === this.#latest) this.loading = false;
    }
  }
}
