// Who is signed in, the communities the account may work on and the one it works on now, and
// what it may do (the server's route classes). The session itself is the HttpOnly cookie; this
// store holds only what the server said about it.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, ok, setCsrfToken, type Schemas } from '@/api/client'
import type { Access } from './feature'

type Session = Schemas['ConsoleSessionV1']
const COMMUNITY_KEY = 'console.community'

export const useSession = defineStore('session', () => {
  const session = ref<Session | null>(null)
  const loaded = ref(false)
  const communityId = ref<string | null>(null)

  const rights = computed<Access[]>(() => (session.value?.rights ?? []) as Access[])
  const communities = computed(() => session.value?.communities ?? [])
  const isStreet = computed(() => rights.value.includes('street'))
  const community = computed(() => communities.value.find((c) => c.id === communityId.value) ?? null)

  function can(access: Access): boolean {
    return rights.value.includes(access)
  }

  /** May this account work on community `id`? */
  function mayWorkOn(id: string): boolean {
    return communities.value.some((c) => c.id === id)
  }

  function adopt(s: Session | null): void {
    session.value = s
    loaded.value = true
    setCsrfToken(s?.csrf_token ?? null)
    if (!s) {
      communityId.value = null
      return
    }
    const kept = localStorage.getItem(COMMUNITY_KEY)
    const pick = s.communities.find((c) => c.id === kept) ?? s.communities[0] ?? null
    communityId.value = pick?.id ?? null
  }

  /** Ask the server who is signed in (after a reload). */
  async function load(): Promise<void> {
    const r = await api.GET('/v1/console/session')
    adopt(r.response.ok && r.data ? r.data : null)
  }

  async function login(username: string, password: string): Promise<void> {
    adopt(await ok(api.POST('/v1/console/session', { body: { username, password } })))
  }

  async function logout(): Promise<void> {
    try {
      await api.POST('/v1/auth/logout')
    } finally {
      adopt(null)
    }
  }

  function chooseCommunity(id: string): void {
    if (!mayWorkOn(id)) return
    communityId.value = id
    localStorage.setItem(COMMUNITY_KEY, id)
  }

  function forget(): void {
    adopt(null)
  }

  return { session, loaded, communityId, community, communities, rights, isStreet, can, mayWorkOn, load, login, logout, chooseCommunity, forget }
})
