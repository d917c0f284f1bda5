// The resumable flow as Wix's Media Manager docs show it, with tus-js-client (Node), a few files at
// a time (PARALLEL, default 3). Per file: generate-resumable-upload-url (REST, API key and site id),
// a tus upload (metadata filename, contentType, token; tus-js-client's default chunking), then
// finalize (PUT {uploadUrl}/{uploadToken}?filename=...). No polling for READY.
// Usage: WIX_API_KEY=... WIX_SITE_ID=... node wix-docs-flow.mjs BASE DIR
// Prints one JSON line per file ({"path", "id"}, or {"path", "error"}); exits 1 if any failed.
import fs from 'node:fs'
import path from 'node:path'
import * as tus from 'tus-js-client'

const [base, dir] = process.argv.slice(2)
const apiKey = process.env.WIX_API_KEY
const siteId = process.env.WIX_SITE_ID
if (!base || !dir || !apiKey || !siteId) {
  console.error('usage: WIX_API_KEY=... WIX_SITE_ID=... node wix-docs-flow.mjs BASE DIR')
  process.exit(2)
}
const parallel = Number(process.env.PARALLEL || 3)
const types = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' }
const files = fs
  .readdirSync(dir)
  .sort()
  .map((name) => path.join(dir, name))
  .filter((p) => fs.statSync(p).isFile())

async function generate(fileName, mimeType, size) {
  const res = await fetch(`${base}/site-media/v1/files/generate-resumable-upload-url`, {
    method: 'POST',
    headers: { Authorization: apiKey, 'wix-site-id': siteId, 'Content-Type': 'application/json' },
    body: JSON.stringify({ mimeType, fileName, sizeInBytes: String(size), uploadProtocol: 'TUS' }),
  })
  if (!res.ok) throw new Error(`generate-resumable-upload-url: HTTP ${res.status}`)
  return res.json()
}

function send(file, fileName, mimeType, size, uploadUrl, uploadToken) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(fs.createReadStream(file), {
      endpoint: uploadUrl,
      uploadSize: size,
      retryDelays: [0, 3000, 5000, 10000, 20000],
      metadata: { filename: fileName, contentType: mimeType, token: uploadToken },
      onError: reject,
      onSuccess: resolve,
    })
    upload.start()
  })
}

async function finalize(uploadUrl, uploadToken, fileName) {
  const url = `${uploadUrl}/${uploadToken}?filename=${encodeURIComponent(fileName)}`
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({}),
  })
  if (!res.ok) throw new Error(`finalize: HTTP ${res.status}`)
  const body = await res.json()
  return body.file
}

async function one(file) {
  const fileName = path.basename(file)
  const mimeType = types[path.extname(file).toLowerCase()] || 'application/octet-stream'
  const size = fs.statSync(file).size
  const { uploadUrl, uploadToken } = await generate(fileName, mimeType, size)
  await send(file, fileName, mimeType, size, uploadUrl, uploadToken)
  const done = await finalize(uploadUrl, uploadToken, fileName)
  if (!done || !done.id) throw new Error('finalize answered without a file id')
  return done.id
}

let next = 0
let failed = 0
async function worker() {
  while (next < files.length) {
    const file = files[next++]
    try {
      console.log(JSON.stringify({ path: file, id: await one(file) }))
    } catch (e) {
      failed++
      console.log(JSON.stringify({ path: file, error: String(e) }))
    }
  }
}
await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker))
process.exit(failed ? 1 : 0)
