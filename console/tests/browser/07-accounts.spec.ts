// Staff accounts, run by the street: the admin creates one (role and community in words), it
// signs in; the admin disables it, and its open session ends at once and it cannot sign in
// again. A community worker has no accounts menu and gets a refusal at the page's address.
import { test, expect } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, login, shot, watchErrors } from './helpers'

test('create an account, sign in with it, disable it: its session ends and it is refused', async ({ page, browser }) => {
  const seen = watchErrors(page)
  const username = `worker-${Date.now()}`
  const password = 'worker-pass-2026'
  await login(page, env.adminUser)
  await page.locator('[data-test=menu-accounts]').click()
  await expect(page.locator('h1')).toHaveText('账号管理')
  await expect(page).toHaveURL(/\/street\/accounts$/)
  const table = page.locator('[data-test=account-table]')
  await expect(table.locator('.el-table__body tr', { hasText: env.adminUser }).first()).toBeVisible()
  await expectAccessible(page, 'the accounts')

  // The form explains what is missing, in words.
  await page.locator('[data-test=account-add]').click()
  const dialog = page.getByRole('dialog', { name: '新建账号' })
  await dialog.locator('[data-test=account-username]').fill(username)
  await dialog.locator('[data-test=account-password]').fill('short')
  await dialog.locator('[data-test=account-save]').click()
  await expect(dialog).toContainText('密码至少 10 位、最多 128 位')
  await expect(dialog).toContainText('社区工作人员须选择所属社区')
  await dialog.locator('[data-test=account-password]').fill(password)
  await choose(page, dialog.locator('[data-test=account-community]'), env.communityName)
  await expectAccessible(page, 'the new-account form')
  await shot(page, 'accounts-create')
  await dialog.locator('[data-test=account-save]').click()
  await expect(dialog).toBeHidden()

  const row = table.locator('.el-table__body tr', { hasText: username })
  await expect(row.locator('[data-test=account-role]')).toHaveText('社区工作人员')
  await expect(row.locator('[data-test=account-community]')).toHaveText(env.communityName)
  await expect(row.locator('[data-test=account-status]')).toHaveText('正常')
  await shot(page, 'accounts')

  // The new account signs in, in a browser of its own.
  const { baseURL, locale, timezoneId, viewport } = test.info().project.use
  const own = await browser.newContext({ baseURL, locale, timezoneId, viewport })
  const other = await own.newPage()
  await login(other, username, password)
  await expect(other).toHaveURL(new RegExp(`/c/${env.communityId}/`))
  await expect(other.locator('[data-test=menu-accounts]')).toHaveCount(0)

  // Disabling asks first, then ends its sessions.
  await row.locator('[data-test=account-disable]').click()
  const box = page.getByRole('dialog', { name: '停用账号' })
  await expect(box).toContainText('其所有登录会话立即结束')
  await box.getByRole('button', { name: '停用' }).click()
  await expect(box).toBeHidden()
  await expect(row.locator('[data-test=account-status]')).toHaveText('已停用')
  await expect(row.locator('[data-test=account-disable]')).toHaveCount(0)
  await expectAccessible(page, 'the accounts after disabling')

  // Its open session is gone: the server refuses it, and the console falls back to signing in.
  expect((await other.request.get('/v1/console/session')).status()).toBe(401)
  await other.goto(`/c/${env.communityId}/passes`)
  await expect(other).toHaveURL(/\/login/)
  await other.locator('#login-username').fill(username)
  await other.locator('#login-password').fill(password)
  await other.locator('[data-test=submit]').click()
  await expect(other.locator('[data-test=login-error]')).toContainText('账号或密码错误，或账号已停用')
  await own.close()
  expect(seen.errors).toEqual([])
})

test('a community worker has no accounts menu and is refused at its address', async ({ page }) => {
  await login(page, env.staffUser)
  await expect(page.locator('[data-test=menu-people]')).toBeVisible()
  await expect(page.locator('[data-test=menu-accounts]')).toHaveCount(0)
  await page.goto('/street/accounts')
  await expect(page.locator('[data-test=forbidden]')).toContainText('您的账号没有打开此页面的权限')
  await expect(page.locator('[data-test=account-table]')).toHaveCount(0)
  expect((await page.request.get('/v1/street/accounts')).status()).toBe(403)
  await expectAccessible(page, 'the refusal')
})
