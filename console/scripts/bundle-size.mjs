// What a browser downloads to show each page for the first time (gzip, as the cloud sends it):
// the entry's chunks, the shell's (for pages inside it) and the page's own, JavaScript and CSS,
// followed through static imports in Vite's manifest. Prints `BENCH <name> <value> <unit>` lines
// (README "Benchmarks"); with `--budget-kb N` fails when any page's first-load JavaScript is
// larger (the issue's budget is for scripts; the style sheets are listed beside them).
//   npm run build && node scripts/bundle-size.mjs [--budget-kb 300] [--dist DIR]
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const distAt = process.argv.indexOf('--dist')
const dist = distAt > 0 ? process.argv[distAt + 1] : join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'))
const budgetAt = process.argv.indexOf('--budget-kb')
const budgetKb = budgetAt > 0 ? Number(process.argv[budgetAt + 1]) : null

const gz = new Map()
function gzSize(file) {
  if (!gz.has(file)) gz.set(file, gzipSync(readFileSync(join(dist, file)), { level: 9 }).length)
  return gz.get(file)
}

/** The files (js and css) `key` needs before it runs: itself and its static imports. */
function closure(key, files = new Set()) {
  const chunk = manifest[key]
  if (!chunk) throw new Error(`${key} is not in the build manifest`)
  if (files.has(chunk.file)) return files
  files.add(chunk.file)
  for (const c of chunk.css ?? []) files.add(c)
  for (const i of chunk.imports ?? []) closure(i, files)
  return files
}

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry)
const shellKey = 'src/app/ShellLayout.vue'
const pages = Object.keys(manifest).filter((k) => /\/pages\/[^/]+\.vue$/.test(k))
const kb = (n) => n / 1024

const rows = pages.map((page) => {
  const files = closure(entryKey)
  if (!page.includes('/auth/')) closure(shellKey, files)
  closure(page, files)
  let js = 0
  let css = 0
  for (const f of files) {
    if (f.endsWith('.js')) js += gzSize(f)
    else if (f.endsWith('.css')) css += gzSize(f)
  }
  return { page: page.replace(/^src\/features\//, '').replace(/\.vue$/, ''), js, css, total: js + css }
})
rows.sort((a, b) => b.total - a.total)
const login = rows.find((r) => r.page === 'auth/pages/LoginPage')
const largest = rows[0]
const entryJs = [...closure(entryKey)].filter((f) => f.endsWith('.js')).reduce((n, f) => n + gzSize(f), 0)
console.log(`BENCH console_entry_js_gz ${kb(entryJs).toFixed(1)} KB`)
console.log(`BENCH console_first_load_login_js_gz ${kb(login.js).toFixed(1)} KB`)
console.log(`BENCH console_first_load_login_gz ${kb(login.total).toFixed(1)} KB`)
console.log(`BENCH console_first_load_largest_js_gz ${kb(largest.js).toFixed(1)} KB`)
console.log(`BENCH console_first_load_largest_gz ${kb(largest.total).toFixed(1)} KB`)
console.log(`largest first load: ${largest.page}`)
for (const r of rows) console.log(`  ${r.page.padEnd(44)} js ${kb(r.js).toFixed(1).padStart(6)} KB  css ${kb(r.css).toFixed(1).padStart(6)} KB`)
console.log('')
if (budgetKb !== null) {
  const over = rows.filter((r) => kb(r.js) > budgetKb)
  if (over.length) {
    console.error(`over the ${budgetKb} KB first-load JavaScript budget: ${over.map((r) => `${r.page} ${kb(r.js).toFixed(1)} KB`).join(', ')}`)
    process.exit(1)
  }
  console.log(`every page's first-load JavaScript is within ${budgetKb} KB (gzip)`)
}
