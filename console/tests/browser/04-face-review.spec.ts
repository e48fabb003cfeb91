// Face review with a real box: staff upload a photo for a person, record the person's consent,
// approve; the box enrols it and its verdict shows in the page. A photo without a face comes
// back refused, with the reason in words staff can act on.
import { test, expect, type Page } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, login, shot, watchErrors } from './helpers'

async function upload(page: Page, person: string, file: string): Promise<void> {
  await page.locator('[data-test=upload-open]').click()
  const dialog = page.getByRole('dialog', { name: '上传人脸照片' })
  await dialog.locator('[data-test=upload-person]').click()
  await page.keyboard.type(person)
  await page.locator('.el-select-dropdown__item:visible', { hasText: person }).first().click()
  await dialog.locator('[data-test=upload-file]').setInputFiles(file)
  await expect(dialog.locator('img')).toBeVisible()
  await dialog.locator('[data-test=upload-send]').click()
  await expect(dialog).toBeHidden()
}

async function consentAndApprove(page: Page, row: ReturnType<Page['locator']>): Promise<void> {
  await expect(row.locator('[data-test=consent]')).toHaveText('未记录')
  await expect(row.locator('[data-test=approve]')).toBeDisabled()
  await row.locator('[data-test=consent-record]').click()
  const prompt = page.getByRole('dialog', { name: '记录同意' })
  await prompt.locator('input').fill('同意书 No.2026-001')
  await prompt.getByRole('button', { name: '确定' }).click()
  await expect(row.locator('[data-test=consent]')).toHaveText('已同意')
  await row.locator('[data-test=approve]').click()
}

test('upload, consent, approve: the box enrols the photo and its verdict shows', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await page.locator('[data-test=menu-face-review]').click()
  await expect(page.locator('h1')).toHaveText('人脸审核')
  const rows = page.locator('[data-test=photo-table] .el-table__body tr')

  await upload(page, env.facePerson, env.facePhoto)
  const row = rows.filter({ hasText: env.facePerson })
  await expect(row).toHaveCount(1)
  await expect(row.locator('[data-test=review-status]')).toHaveText('待审核')
  await expectAccessible(page, 'face review')
  await consentAndApprove(page, row)
  // Approved photos leave the review queue; all photos show it with the box's verdict.
  await expect(row).toHaveCount(0)
  await choose(page, page.locator('[data-test=filter-status]'), '全部')
  await expect(row.locator('[data-test=review-status]')).toHaveText('已通过')
  await expect(row.locator('[data-test=enrolment]')).toHaveText('已入库', { timeout: 45_000 })
  await expect(row.locator('[data-test=verdicts]')).toContainText('已入库')

  // The photo enlarges on click.
  await row.locator('[data-test=photo]').click()
  await expect(page.locator('.el-image-viewer__wrapper')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.locator('.el-image-viewer__wrapper')).toBeHidden()
  expect(seen.errors).toEqual([])
})

test('a photo without a face comes back refused, in words', async ({ page }) => {
  await login(page, env.staffUser)
  await page.goto(`/c/${env.communityId}/face-review`)
  await upload(page, env.noFacePerson, env.noFacePhoto)
  const row = page.locator('[data-test=photo-table] .el-table__body tr').filter({ hasText: env.noFacePerson })
  await consentAndApprove(page, row)
  await choose(page, page.locator('[data-test=filter-status]'), '全部')
  await expect(row.locator('[data-test=enrolment]')).toHaveText('入库失败', { timeout: 45_000 })
  await expect(row.locator('[data-test=refusal]')).toContainText('照片中未检测到人脸，请上传正面、清晰的人脸照片')
  await expectAccessible(page, 'face review with a refusal')
  await shot(page, 'face-review')
})
