// @tus/server with its FileStore on loopback, for interop checks and the benchmark.
// Usage: node tus-server.mjs DIRECTORY [PORT]   (prints "listening on http://127.0.0.1:PORT/files")
import http from 'node:http'
import { Server } from '@tus/server'
import { FileStore } from '@tus/file-store'

const [directory, port = '0'] = process.argv.slice(2)
if (!directory) {
  console.error('usage: node tus-server.mjs DIRECTORY [PORT]')
  process.exit(2)
}
const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) })
const server = http.createServer((req, res) => tus.handle(req, res))
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/files`)
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)))
