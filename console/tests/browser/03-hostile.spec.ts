// Hostile input and wrong places: markup in a registered name renders as text; a write without
// the CSRF token is refused; a community worker who types another community's address sees a
// refusal and none of its data, and the server refuses the data as well.
import { test, expect } from '@playwright/test'
import { env } from './env'
import { expectAccessible, expectNothingInjected, login, watchErrors } from './helpers'

test('a name made of markup shows as text in the pass log', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await page.goto(`/c/${env.communityId}/passes`)
  const table = page.locator('[data-test=pass-table]')
  await expect(table).toContainText(env.hostileName)
  await expect(page.locator('img[src="x"]')).toHaveCount(0)
  await expectNothingInjected(page)
  await expectAccessible(page, 'the pass log')
  expect(seen.errors).toEqual([])
})

test('a write with the session cookie but without the CSRF token is refused', async ({ page }) => {
  await login(page, env.staffUser)
  // page.request carries the browser's cookies, as another site's form post would.
  const r = await page.request.post(`/v1/communities/${env.communityId}/grids`, { data: { name: 'Grid X', level: 1 } })
  expect(r.status()).toBe(403)
  expect(((await r.json()) as { error: { code: string } }).error.code).toBe('csrf_failed')
  const grids = await page.request.get(`/v1/communities/${env.communityId}/grids`)
  expect(grids.status()).toBe(200)
  expect(JSON.stringify(await grids.json())).not.toContain('Grid X')
})

test("another community's address shows a refusal, not data", async ({ page }) => {
  await login(page, env.staffUser)
  const asked: string[] = []
  page.on('request', (r) => {
    if (r.url().includes(env.otherCommunityId)) asked.push(r.url())
  })
  for (const p of ['alarms', 'passes', 'visits']) {
    await page.goto(`/c/${env.otherCommunityId}/${p}`)
    await expect(page.locator('[data-test=forbidden]')).toContainText('此社区不在您的账号范围内')
    await expect(page.locator('body')).not.toContainText(env.otherCommunityName)
  }
  // The page did not even ask; and had it asked, the server refuses.
  expect(asked.filter((u) => u.includes('/v1/'))).toEqual([])
  const r = await page.request.get(`/v1/communities/${env.otherCommunityId}/passes`)
  expect(r.status()).toBe(403)
  await expectAccessible(page, 'the refusal')
})
