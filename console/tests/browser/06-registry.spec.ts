// The registry as staff use it: a grid tree, an estate with a building, unit and rooms, a person
// registered with a name made of markup (it shows as text), linked to a room, with the ID number
// masked; the street admin may deliberately reveal it, community staff are not offered it.
// A resident who signed up with the activation code from the console applies in the app for
// one more address; staff decide within the community, the street across communities.
import { test, expect, type APIRequestContext, type Page } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, expectNothingInjected, login, shot, watchErrors } from './helpers'

async function confirmBox(page: Page, title: string, button: string): Promise<void> {
  const box = page.getByRole('dialog', { name: title })
  await box.getByRole('button', { name: button }).click()
  await expect(box).toBeHidden()
}

/** Writes as the signed-in console account (the session cookie plus its CSRF token). */
async function consoleWriter(page: Page) {
  const session = (await (await page.request.get('/v1/console/session')).json()) as { csrf_token: string }
  return async (path: string, data: unknown): Promise<{ id: string }> => {
    const r = await page.request.post(path, { data, headers: { 'X-CSRF-Token': session.csrf_token } })
    expect(r.status(), `${path}: ${await r.text()}`).toBe(201)
    return (await r.json()) as { id: string }
  }
}

/** The resident's app: signs up with the activation code, signs in, applies for a room. */
async function residentApplies(request: APIRequestContext, phone: string, code: string, rooms: string[]): Promise<void> {
  const password = 'resident-pass-2026'
  const signup = await request.post('/v1/app/signup', { data: { phone, name: 'app name', password, role: 'resident', activation_code: code } })
  expect(signup.status(), await signup.text()).toBe(201)
  const login = await request.post('/v1/auth/login', { data: { username: phone, password } })
  expect(login.status(), await login.text()).toBe(200)
  const { token } = (await login.json()) as { token: string }
  for (const room_id of rooms) {
    const r = await request.post('/v1/app/address-applications', { data: { room_id }, headers: { authorization: `Bearer ${token}` } })
    expect(r.status(), await r.text()).toBe(201)
  }
}

test('grids, an estate tree, a person with an address; reveal; applications decided', async ({ page, request }) => {
  test.setTimeout(180_000)
  const seen = watchErrors(page)
  const stamp = Date.now()
  const c = `/c/${env.communityId}`
  await login(page, env.adminUser)

  // ---- grids: a level-1 grid and a level-2 grid under it --------------------------------------
  await page.goto(`${c}/grids`)
  await expect(page.locator('h1')).toHaveText('网格管理')
  const grid1 = `东片区${stamp}`
  const grid2 = `东一网格${stamp}`
  await page.locator('[data-test=grid-add-root]').click()
  let dialog = page.getByRole('dialog', { name: '新建一级网格' })
  await dialog.locator('[data-test=name-save]').click()
  await expect(dialog).toContainText('请填写名称')
  await dialog.locator('[data-test=name-input]').fill(grid1)
  await dialog.locator('[data-test=name-save]').click()
  await expect(dialog).toBeHidden()
  const node1 = page.locator('[data-test=grid-node]', { has: page.locator('> .node [data-test=grid-name]', { hasText: grid1 }) })
  await expect(node1).toHaveCount(1)
  await node1.locator('> .node [data-test=grid-add-child]').click()
  dialog = page.getByRole('dialog', { name: '新建二级网格' })
  await expect(dialog).toContainText(grid1)
  await dialog.locator('[data-test=name-input]').fill(grid2)
  await dialog.locator('[data-test=name-save]').click()
  await expect(dialog).toBeHidden()
  await expect(node1.locator('[data-test=grid-node]')).toContainText(grid2)
  await expect(node1.locator('[data-test=grid-node]')).toContainText('二级网格')
  await expectAccessible(page, 'the grids')
  await shot(page, 'grids')

  // ---- estates: an estate in the grid, a building, a unit, three rooms ------------------------
  await page.locator('[data-test=menu-estates]').click()
  await expect(page.locator('h1')).toHaveText('小区房屋')
  const estate = `幸福里${stamp}`
  await page.locator('[data-test=estate-add]').click()
  dialog = page.getByRole('dialog', { name: '新建小区' })
  await dialog.locator('[data-test=estate-name]').fill(estate)
  await choose(page, dialog.locator('[data-test=estate-grid]'), grid2)
  await dialog.locator('#estate-lat').fill('95')
  await dialog.locator('[data-test=estate-save]').click()
  await expect(dialog).toContainText('纬度应在 -90 到 90 之间')
  await dialog.locator('#estate-lat').fill('31.2304')
  await dialog.locator('#estate-lon').fill('121.4737')
  await dialog.locator('[data-test=estate-save]').click()
  await expect(dialog).toBeHidden()
  const estateRow = page.locator('[data-test=estate-table] .el-table__body tr', { hasText: estate })
  await expect(estateRow).toContainText(grid2)
  // The new estate is opened: it has no buildings yet.
  await expect(page.locator('[data-test=no-buildings]')).toBeVisible()
  await page.locator('[data-test=building-add]').click()
  dialog = page.getByRole('dialog', { name: '添加楼栋' })
  await dialog.locator('[data-test=name-input]').fill('1号楼')
  await dialog.locator('[data-test=name-save]').click()
  await expect(dialog).toBeHidden()
  const building = page.locator('[data-test=building]', { hasText: '1号楼' })
  await building.locator('[data-test=unit-add]').click()
  dialog = page.getByRole('dialog', { name: '为“1号楼”添加单元' })
  await dialog.locator('[data-test=name-input]').fill('1单元')
  await dialog.locator('[data-test=name-save]').click()
  await expect(dialog).toBeHidden()
  for (const room of ['101', '102', '103']) {
    await building.locator('[data-test=unit]', { hasText: '1单元' }).locator('[data-test=room-add]').click()
    dialog = page.getByRole('dialog', { name: '为“1号楼 1单元”添加房间' })
    await dialog.locator('[data-test=name-input]').fill(room)
    await dialog.locator('[data-test=name-save]').click()
    await expect(dialog).toBeHidden()
    await expect(building.locator('[data-test=room]', { hasText: room })).toBeVisible()
  }
  await expect(building.locator('[data-test=unit]')).toContainText('3 间')
  await expectAccessible(page, 'the estate tree')
  await shot(page, 'estates')

  // ---- people: register a person whose name is markup -----------------------------------------
  await page.locator('[data-test=menu-people]').click()
  await expect(page.locator('h1')).toHaveText('人员登记')
  const name = `<img src=x onerror="window.__pwned=1">测试<b>居民</b>${stamp}`
  const phone = `139${String(stamp).slice(-8)}`
  const idNumber = `110101${String(stamp).slice(-12)}`
  await page.locator('[data-test=register-open]').click()
  dialog = page.getByRole('dialog', { name: '登记人员' })
  await dialog.locator('[data-test=register-name]').fill(name)
  await dialog.locator('[data-test=register-phone]').fill('12ab')
  await dialog.locator('[data-test=register-id]').fill('x-1')
  await dialog.locator('[data-test=register-save]').click()
  await expect(dialog).toContainText('手机号应为 5 到 20 位数字，可以 + 开头')
  await expect(dialog).toContainText('证件号应为 5 到 32 位字母或数字')
  await dialog.locator('[data-test=register-phone]').fill(phone)
  await dialog.locator('[data-test=register-id]').fill(idNumber)
  await dialog.locator('[data-test=register-save]').click()
  await expect(dialog).toBeHidden()

  // The list shows the new person (searched by name), masked; the name is text.
  const row = page.locator('[data-test=people-table] .el-table__body tr', { hasText: String(stamp) })
  await expect(row.locator('[data-test=row-name]')).toHaveText(name)
  const masked = `110${'*'.repeat(idNumber.length - 7)}${idNumber.slice(-4)}`
  await expect(row.locator('[data-test=row-id-number]')).toHaveText(masked)
  await expect(row).toContainText(`139****${phone.slice(-4)}`)
  await expect(page.locator('img[src="x"]')).toHaveCount(0)
  await expectAccessible(page, 'the people list')

  // The person opens on registering: masked number, no address yet.
  const drawer = page.getByRole('dialog', { name: '人员详情' })
  await expect(drawer.locator('[data-test=person-name]')).toHaveText(name)
  await expect(drawer.locator('[data-test=person-id-number]')).toHaveText(masked)
  await expect(drawer.locator('[data-test=no-addresses]')).toBeVisible()

  // Link the address 101 from the estate tree.
  await choose(page, drawer.locator('[data-test=picker-estate]'), estate)
  await choose(page, drawer.locator('[data-test=picker-room]'), '1号楼 / 1单元 / 101')
  await drawer.locator('[data-test=link]').click()
  await expect(drawer.locator('[data-test=address]')).toHaveText(new RegExp(`${estate} / 1号楼 / 1单元 / 101`))
  await expect(page.locator('img[src="x"]')).toHaveCount(0)

  // Reveal, deliberately: the street admin is offered it, with a warning that it is recorded.
  await drawer.locator('[data-test=reveal]').click()
  const warn = page.getByRole('dialog', { name: '查看完整证件号' })
  await expect(warn).toContainText('本次查看将被记录')
  await warn.getByRole('button', { name: '显示证件号' }).click()
  await expect(drawer.locator('[data-test=person-id-number]')).toHaveText(idNumber)
  await expect(drawer.locator('[data-test=person-phone]')).toHaveText(phone)
  await drawer.locator('[data-test=hide]').click()
  await expect(drawer.locator('[data-test=person-id-number]')).toHaveText(masked)

  // Door rights off and on again, each confirmed.
  await drawer.locator('[data-test=toggle-rights]').click()
  await confirmBox(page, '停用通行', '停用通行')
  await expect(drawer.locator('[data-test=person-rights]')).toHaveText('已停用')
  await expect(row.locator('[data-test=row-rights]')).toHaveText('已停用')
  await drawer.locator('[data-test=toggle-rights]').click()
  await confirmBox(page, '启用通行', '启用通行')
  await expect(drawer.locator('[data-test=person-rights]')).toHaveText('已启用')

  // Staff door rights at the new estate: saved, with who changed them; cleared again.
  // (a multiple select stays open after a pick: closed with Escape)
  await drawer.locator('[data-test=staff-estates]').click()
  await page.locator('.el-select-dropdown__item:visible').filter({ hasText: estate }).first().click()
  await page.keyboard.press('Escape')
  await drawer.locator('[data-test=staff-save]').click()
  await expect(drawer.locator('[data-test=staff-granted]')).toContainText('最近由 admin')
  await expect(drawer.locator('[data-test=staff-estates]')).toContainText(estate)
  await expectAccessible(page, 'staff door rights')
  await shot(page, 'person-staff-rights')
  await drawer.locator('[data-test=staff-estates] .el-tag__close').first().click()
  await drawer.locator('[data-test=staff-save]').click()
  await expect(drawer.locator('[data-test=staff-granted]')).toHaveCount(0)
  await expect(drawer.locator('[data-test=staff-error]')).toHaveCount(0)

  // The app activation code, shown once with its expiry.
  await drawer.locator('[data-test=activation]').click()
  await confirmBox(page, '生成应用激活码', '生成应用激活码')
  const codeDialog = page.getByRole('dialog', { name: '应用激活码' })
  await expect(codeDialog.locator('[data-test=activation-expires]')).toContainText('有效期至 20')
  const code = (await codeDialog.locator('[data-test=activation-code]').innerText()).trim()
  expect(code.length).toBeGreaterThan(4)
  await expectAccessible(page, 'the activation code')
  await shot(page, 'activation')
  await codeDialog.locator('[data-test=activation-close]').click()
  await expect(codeDialog).toBeHidden()
  await expectAccessible(page, 'the person')
  await shot(page, 'person')
  await expectNothingInjected(page)
  await page.keyboard.press('Escape')
  await expect(drawer).toBeHidden()

  // ---- applications: the resident signs up with the code and applies -------------------------
  // Two rooms in this community (one approved, one refused), one in the other community.
  const write = await consoleWriter(page)
  const o = `/v1/communities/${env.otherCommunityId}`
  const otherEstate = await write(`${o}/estates`, { name: `异地小区${stamp}` })
  const otherBuilding = await write(`${o}/estates/${otherEstate.id}/buildings`, { name: '9号楼' })
  const otherUnit = await write(`${o}/buildings/${otherBuilding.id}/units`, { name: '2单元' })
  const otherRoom = await write(`${o}/units/${otherUnit.id}/rooms`, { name: '902' })
  const estates = (await (await page.request.get(`/v1/communities/${env.communityId}/estates`)).json()) as { items: { id: string; name: string }[] }
  const estateId = estates.items.find((e) => e.name === estate)?.id ?? ''
  const rooms = (await (await page.request.get(`/v1/communities/${env.communityId}/estates/${estateId}`)).json()) as { buildings: { units: { rooms: { id: string; name: string }[] }[] }[] }
  const roomId = (n: string): string => rooms.buildings[0]?.units[0]?.rooms.find((r) => r.name === n)?.id ?? ''
  await residentApplies(request, phone, code, [roomId('102'), roomId('103'), otherRoom.id])

  await page.locator('[data-test=menu-address-applications]').click()
  await expect(page.locator('h1')).toHaveText('多地址申请')
  const apps = page.locator('[data-test=apps-table] .el-table__body tr', { hasText: String(stamp) })
  await expect(apps).toHaveCount(2)
  const app102 = apps.filter({ hasText: '/ 102' })
  const app103 = apps.filter({ hasText: '/ 103' })
  await expect(app102.locator('[data-test=app-name]')).toHaveText(name)
  await expect(app102).toContainText(`${estate} / 1号楼 / 1单元 / 102`)
  await expect(app102.locator('[data-test=app-status]')).toHaveText('待审批')
  await expectAccessible(page, 'the applications')
  await shot(page, 'applications')

  await app102.locator('[data-test=app-approve]').click()
  await confirmBox(page, '批准申请', '批准')
  await app103.locator('[data-test=app-refuse]').click()
  const prompt = page.getByRole('dialog', { name: '驳回' })
  await prompt.locator('input').fill('房屋信息与产权登记不一致')
  await prompt.getByRole('button', { name: '确定' }).click()
  // Decided applications leave the waiting list; all of them show how they were decided.
  await expect(apps).toHaveCount(0)
  await choose(page, page.locator('[data-test=apps-status]'), '全部')
  await expect(app102.locator('[data-test=app-status]')).toHaveText('已批准')
  await expect(app103.locator('[data-test=app-status]')).toHaveText('已驳回')
  await expect(page.locator('img[src="x"]')).toHaveCount(0)

  // The approved room is now the person's second address.
  await page.locator('[data-test=menu-people]').click()
  await page.locator('[data-test=people-q]').fill(String(stamp))
  await page.locator('[data-test=people-search]').click()
  await expect(row.locator('[data-test=row-name]')).toHaveText(name)
  await page.mouse.move(0, 0) // not hovering the search button
  await expectAccessible(page, 'the people list, searched')
  await shot(page, 'people')
  await row.locator('[data-test=person-open]').click()
  await expect(drawer.locator('[data-test=address]')).toHaveCount(2)
  await expect(drawer.locator('[data-test=addresses]')).toContainText(`${estate} / 1号楼 / 1单元 / 102`)
  await page.keyboard.press('Escape')
  await expect(drawer).toBeHidden()

  // ---- the street decides the application that crosses communities ---------------------------
  await page.locator('[data-test=menu-street-address-applications]').click()
  await expect(page.locator('h1')).toHaveText('跨社区地址申请')
  const cross = page.locator('[data-test=apps-table] .el-table__body tr', { hasText: String(stamp) })
  await expect(cross).toHaveCount(1)
  await expect(cross).toContainText(`异地小区${stamp} / 9号楼 / 2单元 / 902`)
  await expect(cross).toContainText(env.otherCommunityName)
  await expect(cross).toContainText('跨社区')
  await expectAccessible(page, 'the street applications')
  await shot(page, 'street-applications')
  await cross.locator('[data-test=app-approve]').click()
  await confirmBox(page, '批准申请', '批准')
  await expect(cross).toHaveCount(0)
  await expectNothingInjected(page)
  expect(seen.errors).toEqual([])
})

test('community staff see ID numbers masked and are not offered to reveal them', async ({ page }) => {
  const stamp = Date.now()
  await login(page, env.staffUser)
  const write = await consoleWriter(page)
  const name = `证件测试${stamp}`
  await write(`/v1/communities/${env.communityId}/people`, { name, kind: 'non_local', phone: `137${String(stamp).slice(-8)}`, id_number: `A${String(stamp).slice(-10)}` })
  await page.locator('[data-test=menu-people]').click()
  await page.locator('[data-test=people-q]').fill(name)
  await page.locator('[data-test=people-search]').click()
  const row = page.locator('[data-test=people-table] .el-table__body tr', { hasText: name })
  await expect(row.locator('[data-test=row-id-number]')).toHaveText(`A${String(stamp).slice(-10, -8)}****${String(stamp).slice(-4)}`)
  await expect(row).toContainText('外地户籍')
  await row.locator('[data-test=person-open]').click()
  const drawer = page.getByRole('dialog', { name: '人员详情' })
  await expect(drawer.locator('[data-test=person-id-number]')).toContainText('****')
  await expect(drawer.locator('[data-test=toggle-rights]')).toBeVisible()
  await expect(drawer.locator('[data-test=reveal]')).toHaveCount(0)
  await expectAccessible(page, 'the person, as community staff')
  await shot(page, 'person-staff')
  // And the server refuses it anyway.
  const people = (await (await page.request.get(`/v1/communities/${env.communityId}/people?q=${encodeURIComponent(name)}`)).json()) as { items: { id: string }[] }
  const r = await page.request.get(`/v1/communities/${env.communityId}/people/${people.items[0]?.id}?reveal=true`)
  expect(r.status()).toBe(403)
  // The street's pages are not in the menu, and their address shows a refusal.
  await expect(page.locator('[data-test=menu-street-address-applications]')).toHaveCount(0)
  await page.goto('/street/address-applications')
  await expect(page.locator('[data-test=forbidden]')).toContainText('您的账号没有打开此页面的权限')
})
