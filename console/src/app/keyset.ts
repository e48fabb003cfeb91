// A server-paged list (keyset pages: `before` = the previous page's `next`): the items on the
// page, previous/next, the page size, and reloading with new filters. Only one page is ever in
// the browser, so a list of a million cases costs what a list of fifty does.
import { ref, shallowRef } from 'vue'
import { errorMessage } from './errors'

export interface KeysetPage<T> {
  items: T[]
  next?: string | null
}

/** An offset-paged route (short lists in a stable order: people, accounts) walked by the same
 *  pager: the cursor is the next page's offset, and there is a next page when this one came
 *  back full. */
export async function offsetPage<T>(
  before: string | null,
  limit: number,
  load: (offset: number) => Promise<{ items: T[] }>,
): Promise<KeysetPage<T>> {
  const offset = before ? Number(before) : 0
  const page = await load(offset)
  return { items: page.items, next: page.items.length === limit ? String(offset + limit) : null }
}

/** The page sizes offered; a list's chosen size is remembered in this browser. */
export const PAGE_SIZES = [20, 50, 100] as const

function rememberedSize(name: string | undefined): number | null {
  if (!name) return null
  try {
    const n = Number(localStorage.getItem(`page-size:${name}`))
    return (PAGE_SIZES as readonly number[]).includes(n) ? n : null
  } catch {
    return null
  }
}

/** `name`: remembers the page size the user picks for this list (per browser), as back
 *  offices do. */
export function useKeysetList<T>(load: (before: string | null, limit: number) => Promise<KeysetPage<T>>, pageSize = 50, name?: string) {
  const items = shallowRef<T[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  const limit = ref(rememberedSize(name) ?? pageSize)
  const hasNext = ref(false)
  /** The `before` cursor of each page shown so far (null for the first). */
  const cursors = ref<(string | null)[]>([null])
  let next: string | null = null
  let generation = 0

  async function show(before: string | null): Promise<void> {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const page = await load(before, limit.value)
      if (mine !== generation) return
      items.value = page.items
      next = page.next ?? null
      hasNext.value = next !== null
    } catch (e) {
      if (mine !== generation) return
      error.value = errorMessage(e)
      items.value = []
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  /** From the first page (after a filter change). */
  async function reload(): Promise<void> {
    cursors.value = [null]
    await show(null)
  }

  /** The page being shown, again (after a change pushed by the server). */
  async function refresh(): Promise<void> {
    await show(cursors.value[cursors.value.length - 1] ?? null)
  }

  async function nextPage(): Promise<void> {
    if (!next) return
    cursors.value = [...cursors.value, next]
    await show(next)
  }

  async function prevPage(): Promise<void> {
    if (cursors.value.length < 2) return
    cursors.value = cursors.value.slice(0, -1)
    await show(cursors.value[cursors.value.length - 1] ?? null)
  }

  async function setLimit(n: number): Promise<void> {
    limit.value = n
    if (name) {
      try {
        localStorage.setItem(`page-size:${name}`, String(n))
      } catch {
        // storage refused (private mode): the size holds for this visit only
      }
    }
    await reload()
  }

  return { items, loading, error, limit, hasNext, cursors, reload, refresh, nextPage, prevPage, setLimit }
}

/** The paging controls' view of a list (any item type). */
export type KeysetList = Pick<ReturnType<typeof useKeysetList<unknown>>, 'limit' | 'cursors' | 'hasNext' | 'loading' | 'prevPage' | 'nextPage' | 'setLimit'>

