// Uploads one file with tus-js-client (Node), default settings unless CHUNK_SIZE is given.
// Usage: node tus-js-upload.mjs ENDPOINT FILE [KEY=VALUE ...]   (prints the upload URL)
import fs from 'node:fs'
import * as tus from 'tus-js-client'

const [endpoint, path, ...pairs] = process.argv.slice(2)
if (!endpoint || !path) {
  console.error('usage: node tus-js-upload.mjs ENDPOINT FILE [KEY=VALUE ...]')
  process.exit(2)
}
const metadata = Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]))
const options = {
  endpoint,
  metadata,
  uploadSize: fs.statSync(path).size,
  retryDelays: [0, 1000, 3000],
  onError: (e) => {
    console.error(`tus-js-client failed: ${e}`)
    process.exit(1)
  },
  onSuccess: () => {
    console.log(upload.url)
  },
}
if (process.env.CHUNK_SIZE) options.chunkSize = Number(process.env.CHUNK_SIZE)
const upload = new tus.Upload(fs.createReadStream(path), options)
upload.start()
