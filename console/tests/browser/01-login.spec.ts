// Signing in: a wrong password is refused in words, the right one opens the console in Chinese
// with the menu the account's rights allow; the session is not readable by page scripts.
import { test, expect } from '@playwright/test'
import { env } from './env'
import { expectAccessible, login, shot, watchErrors } from './helpers'

test('a wrong password is refused in words, the right one signs in', async ({ page }) => {
  const seen = watchErrors(page)
  await page.goto('/')
  await expect(page).toHaveURL(/\/login/)
  await expect(page.locator('h1')).toHaveText('社区管理后台')
  await expectAccessible(page, 'the login page')
  // The tab shows the console's icon, served as an image (not the page's HTML).
  const icon = await page.locator('link[rel=icon]').getAttribute('href')
  const ir = await page.request.get(icon ?? '/missing')
  expect(ir.status()).toBe(200)
  expect(ir.headers()['content-type']).toBe('image/svg+xml')

  await page.locator('#login-username').fill(env.staffUser)
  await page.locator('#login-password').fill('not-the-password')
  await page.locator('[data-test=submit]').click()
  await expect(page.locator('[data-test=login-error]')).toContainText('账号或密码错误')
  await shot(page, 'login')

  await login(page, env.staffUser)
  // A community worker: the community's pages, none of the street's.
  await expect(page.locator('[data-test=menu-passes]')).toBeVisible()
  await expect(page.locator('[data-test=menu-alarms]')).toBeVisible()
  await expect(page).toHaveURL(new RegExp(`/c/${env.communityId}/`))
  // The session cookie is HttpOnly: scripts in the page cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('cc_session')
  expect(seen.errors).toEqual([])
})

test('signing out ends the session', async ({ page }) => {
  await login(page, env.staffUser)
  await page.locator('[data-test=logout]').click()
  await expect(page).toHaveURL(/\/login/)
  await page.goto(`/c/${env.communityId}/alarms`)
  await expect(page).toHaveURL(/\/login\?next=/)
  const r = await page.request.get(`/v1/communities/${env.communityId}/alarms`)
  expect(r.status()).toBe(401)
})
