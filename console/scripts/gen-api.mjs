// Generates the console's API types (src/api/schema.d.ts) from the cloud's OpenAPI document,
// which `cloud-core openapi` prints from the Rust types. `--check` regenerates in memory and
// fails when the committed file differs: the console never compiles against a stale API.
//   npm run gen:api             write src/api/schema.d.ts
//   npm run check:api           fail if it is stale
// The document comes from `cargo run -p cloud-core -- openapi`, or from the file named by
// OPENAPI_JSON, or from the binary named by CLOUD_CORE_BIN.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'

const here = dirname(fileURLToPath(import.meta.url))
const consoleDir = join(here, '..')
const root = join(consoleDir, '..')
const target = join(consoleDir, 'src/api/schema.d.ts')
const check = process.argv.includes('--check')

function documentText() {
  if (process.env.OPENAPI_JSON) return readFileSync(process.env.OPENAPI_JSON, 'utf8')
  const opts = { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] }
  if (process.env.CLOUD_CORE_BIN) return execFileSync(process.env.CLOUD_CORE_BIN, ['openapi'], opts)
  return execFileSync('cargo', ['run', '--quiet', '--locked', '-p', 'cloud-core', '--', 'openapi'], opts)
}

const doc = JSON.parse(documentText())
const ast = await openapiTS(doc, { alphabetize: true })
const header =
  '// Generated from the cloud\'s /openapi.json by console/scripts/gen-api.mjs. Do not edit:\n' +
  '// change the Rust types, then run `npm run gen:api`.\n'
const text = header + astToString(ast)

if (check) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : ''
  if (current !== text) {
    console.error('console/src/api/schema.d.ts is stale: the API changed. Run `npm run gen:api` in console/ and commit the result.')
    process.exit(1)
  }
  console.log('console/src/api/schema.d.ts matches the API document')
} else {
  writeFileSync(target, text)
  console.log(`wrote ${target} (${Object.keys(doc.paths).length} paths, ${Object.keys(doc.components.schemas).length} schemas)`)
}
