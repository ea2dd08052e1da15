/** Child process of the HTTP benchmark: serves one implementation of the app on 127.0.0.1 and reports its port. */
// Usage: node dist-examples/bench/http-server.js <prismalchemy|pa-no-scope|prisma|raw> <file: or postgresql:// URL>
// Prints one JSON line {"port": N} once listening. GET /_stats answers the app's stats and memory
// figures. SIGTERM closes the server and the database layer, then exits.
import type { AddressInfo } from 'node:net'
import { createHttpApp, HTTP_APP_NAMES, type HttpAppName } from './http-apps.js'

const [name, url] = process.argv.slice(2)
if (!HTTP_APP_NAMES.includes(name as HttpAppName) || url === undefined) {
  console.error(`usage: http-server.js <${HTTP_APP_NAMES.join('|')}> <file: or postgresql:// URL>`)
  process.exit(2)
}

const http = await createHttpApp(name as HttpAppName, url)
http.app.get('/_stats', (_req, res) => {
  const { rss, heapUsed } = process.memoryUsage()
  res.json({ ...http.stats(), rssMb: +(rss / 2 ** 20).toFixed(1), heapUsedMb: +(heapUsed / 2 ** 20).toFixed(1) })
})
const server = http.app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => {
    http.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  })
})
