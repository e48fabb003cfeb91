// Home: the community's figures, each the count of the list it opens, and the account's start
// page after signing in.
import { test, expect } from '@playwright/test'
import { env } from './env'
import { expectAccessible, login, shot, watchErrors } from './helpers'

interface Overview {
  alarms_open: { severity: string; open: number }[]
  passes_since: number
  boxes: number
  boxes_offline: number
  devices: number
  devices_offline: number
  cases_pending: number
}

test('the home page shows the figures, and each opens its list', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  // Signing in lands on the home page.
  await expect(page).toHaveURL(new RegExp(`/c/${env.communityId}/home$`))
  await expect(page.locator('h1')).toHaveText('首页')
  const today = await page.evaluate(() => {
    const now = Date.now()
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
        .formatToParts(new Date(now))
        .map((x) => [x.type, x.value]),
    )
    return now - (((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000 + (now % 1000))
  })
  const r = await page.request.get(`/v1/communities/${env.communityId}/overview?since_ms=${today}`)
  expect(r.status()).toBe(200)
  const o = (await r.json()) as Overview
  await expect(page.locator('[data-test=home-passes] .value')).toHaveText(String(o.passes_since))
  await expect(page.locator('[data-test=home-boxes-offline] .value')).toHaveText(String(o.boxes_offline))
  await expect(page.locator('[data-test=home-boxes-offline]').locator('..')).toContainText(`共 ${o.boxes} 台在用`)
  await expect(page.locator('[data-test=home-devices-offline] .value')).toHaveText(String(o.devices_offline))
  await expect(page.locator('[data-test=home-cases-pending] .value')).toHaveText(String(o.cases_pending))
  const critical = o.alarms_open.find((s) => s.severity === 'critical')?.open ?? 0
  await expect(page.locator('[data-test=home-alarms-critical] .value')).toHaveText(String(critical))
  await expect(page.locator('[data-test=home-alarms-critical]')).toContainText('紧急')
  await expectAccessible(page, 'the home page')
  // No personal data here, so no watermark.
  await expect(page.locator('[data-test=watermark]')).toHaveCount(0)
  await shot(page, 'home')

  // Today's passes open the pass log from midnight, with as many rows (fewer than a page).
  expect(o.passes_since).toBeGreaterThan(0)
  expect(o.passes_since).toBeLessThanOrEqual(20)
  await page.locator('[data-test=home-passes]').click()
  await expect(page.locator('h1')).toHaveText('通行记录')
  await expect(page).toHaveURL(/\/passes\?from_ms=\d+/)
  await expect(page.locator('[data-test=pass-table] .el-table__body tr')).toHaveCount(o.passes_since)
  // The pass log shows names and phones: the viewer's account is watermarked over it.
  await expect(page.locator('[data-test=watermark]')).toHaveAttribute('data-who', env.staffUser)
  // Results and the box's reasons in words.
  await expect(page.locator('[data-test=pass-result]').first()).toHaveText(/^(通过|拒绝)$/)
  await expect(page.locator('[data-test=pass-reason]').first()).toHaveText('住户')
  await shot(page, 'passes')
  await expectAccessible(page, 'the pass log with its watermark')

  // Open critical alarms open the alarm list filtered so.
  await page.goBack()
  await expect(page.locator('h1')).toHaveText('首页')
  await page.locator('[data-test=home-alarms-critical]').click()
  await expect(page.locator('h1')).toHaveText('告警')
  await expect(page).toHaveURL(/\/alarms\?status=open&severity=critical/)
  await expect(page.locator('[data-test=alarm-table] .el-table__body tr')).toHaveCount(critical)
  expect(seen.errors).toEqual([])
})
