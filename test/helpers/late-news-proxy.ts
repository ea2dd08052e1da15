// A loopback TCP proxy in front of the test PostgreSQL server that can keep the server's closing of a connection from the client until the client next writes, as a NAT or load balancer does.
import net from 'node:net'

/** One client connection and its server connection. */
interface Pair {
  readonly client: net.Socket
  readonly server: net.Socket
  /** The server's bytes and its closing are kept from the client. */
  held: boolean
  /** The server closed its side while held: the client's next write gets a reset. */
  serverGone: boolean
}

/** The running proxy. */
export interface LateNewsProxy {
  /** `url` with the proxy's host and port. */
  readonly url: string
  /**
   * From now on, what the server sends on the connections open now (its FATAL goodbye and close when
   * a backend is terminated) never reaches the client; the client learns only when it next writes,
   * with a TCP reset (ECONNRESET). Connections opened later pass through as usual.
   */
  holdServerNews(): void
  /** Client writes answered with a reset so far. */
  readonly resets: number
  close(): Promise<void>
}

/** Starts a proxy to the server of `url` (a postgresql:// URL) on a free loopback port. */
export async function startLateNewsProxy(url: string): Promise<LateNewsProxy> {
  const target = new URL(url)
  const pairs = new Set<Pair>()
  let resets = 0
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname)
    const pair: Pair = { client, server: upstream, held: false, serverGone: false }
    pairs.add(pair)
    client.on('data', (chunk) => {
      if (pair.serverGone) {
        resets++
        client.resetAndDestroy()
      } else upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!pair.held) client.write(chunk)
    })
    upstream.on('close', () => {
      if (pair.held) pair.serverGone = true
      else client.destroy()
    })
    client.on('close', () => {
      pairs.delete(pair)
      upstream.destroy()
    })
    client.on('error', () => undefined)
    upstream.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String((server.address() as net.AddressInfo).port)
  return {
    url: proxied.toString(),
    holdServerNews: () => {
      for (const pair of pairs) pair.held = true
    },
    get resets() {
      return resets
    },
    close: async () => {
      for (const pair of pairs) pair.client.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
