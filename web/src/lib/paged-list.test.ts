import { describe, expect, it } from 'vitest';
import { PagedList, type Page, type PageArgs } from './paged-list.svelte';

/**
 * A keyset-paged list of names as the control plane pages `users.page` (docs/control-plane.md
 * "Pages"): sorted, `after` the last name of the previous page, `search` names containing it.
 */
function keysetApi(names: string[]) {
  const calls: PageArgs[] = [];
  const fetchPage = async (args: PageArgs): Promise<Page<string>> => {
    calls.push(args);
    const matching = names
      .filter((n) => args.search === undefined || n.includes(args.search))
      .filter((n) => args.after === undefined || n > args.after)
      .sort();
    const items = matching.slice(0, args.first);
    return { items, nextCursor: matching.length > args.first ? (items.at(-1) ?? null) : null };
  };
  return { calls, fetchPage };
}

const NAMES = Array.from({ length: 12 }, (_, i) => `user-${String(i).padStart(2, '0')}`);

describe('PagedList', () => {
  it('pages forward and back with the cursors it was given, one page per request', async () => {
    const api = keysetApi(NAMES);
    const list = new PagedList(api.fetchPage, 5);
    await list.first('');
    expect([list.items, list.pageNumber, list.hasPrevious, list.hasNext]).toEqual([
      ['user-00', 'user-01', 'user-02', 'user-03', 'user-04'],
      1,
      false,
      true,
    ]);
    await list.next();
    await list.next();
    expect([list.items, list.pageNumber, list.hasNext]).toEqual([['user-10', 'user-11'], 3, false]);
    await list.previous();
    expect([list.items, list.pageNumber]).toEqual([['user-05', 'user-06', 'user-07', 'user-08', 'user-09'], 2]);
    expect(api.calls).toEqual([
      { first: 5 },
      { first: 5, after: 'user-04' },
      { first: 5, after: 'user-09' },
      { first: 5, after: 'user-04' },
    ]);
  });

  it('searches on the server from the first page, keeping the search while paging', async () => {
    const api = keysetApi([...NAMES, 'needle-a', 'needle-b', 'needle-c']);
    const list = new PagedList(api.fetchPage, 2);
    await list.next();
    await list.first('  needle ');
    expect([list.items, list.search, list.pageNumber]).toEqual([['needle-a', 'needle-b'], 'needle', 1]);
    await list.next();
    expect([list.items, list.hasNext]).toEqual([['needle-c'], false]);
    expect(api.calls.slice(-2)).toEqual([
      { first: 2, search: 'needle' },
      { first: 2, after: 'needle-b', search: 'needle' },
    ]);
    await list.first('nothing');
    expect([list.items, list.loaded, list.hasNext]).toEqual([[], true, false]);
  });

  it('shows only the latest answer when an older search answers last', async () => {
    const slow: Array<() => void> = [];
    const api = keysetApi(['alpha', 'beta']);
    const list = new PagedList<string>(async (args) => {
      const page = await api.fetchPage(args);
      if (args.search === 'a') await new Promise<void>((resolve) => slow.push(resolve));
      return page;
    }, 5);
    const older = list.first('a');
    await list.first('beta');
    slow.forEach((resolve) => resolve());
    await older;
    expect([list.items, list.search, list.loading]).toEqual([['beta'], 'beta', false]);
  });

  it('keeps the page shown and reports a failed load; a retry clears it', async () => {
    const api = keysetApi(NAMES);
    let fail = false;
    const list = new PagedList<string>(async (args) => {
      if (fail) throw new Error('control plane unreachable');
      return api.fetchPage(args);
    }, 5);
    await list.first('');
    fail = true;
    await list.next();
    expect([list.error, list.pageNumber, list.items[0], list.loading]).toEqual([
      'control plane unreachable',
      1,
      'user-00',
      false,
    ]);
    fail = false;
    await list.reload();
    expect([list.error, list.items[0]]).toEqual(['', 'user-00']);
  });

  it('steps back a page when a delete emptied the one shown', async () => {
    const names = [...NAMES];
    const api = keysetApi(names);
    const list = new PagedList(api.fetchPage, 10);
    await list.first('');
    await list.next();
    expect(list.items).toEqual(['user-10', 'user-11']);
    names.splice(10, 2);
    await list.reload();
    expect([list.pageNumber, list.items.length, list.hasNext]).toEqual([1, 10, false]);
  });
});
