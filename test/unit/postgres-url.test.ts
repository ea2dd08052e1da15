// PostgreSQL URLs: Prisma's ?pgbouncer= flag is read and taken out before node-postgres sees the URL.
import { describe, expect, it } from 'vitest'
import { ConfigurationError } from 'prismalchemy'
import { postgresUrlOptions } from '../../runtime/databases/postgres/postgres-url.js'

describe('postgresUrlOptions', () => {
  it('reads ?pgbouncer=true and removes it, keeping the other parameters', () => {
    expect(postgresUrlOptions('postgresql://app:pw@db:6432/app?pgbouncer=true&sslmode=require')).toEqual({
      url: 'postgresql://app:pw@db:6432/app?sslmode=require',
      pgbouncer: true,
    })
    expect(postgresUrlOptions('postgresql://app:pw@db:6432/app?pgbouncer=false')).toEqual({ url: 'postgresql://app:pw@db:6432/app', pgbouncer: false })
  })

  it('leaves a URL without the flag as it is', () => {
    const url = 'postgres://app@db/app?application_name=web'
    expect(postgresUrlOptions(url)).toEqual({ url, pgbouncer: false })
  })

  it('refuses any other value with a ConfigurationError naming the parameter', () => {
    expect(() => postgresUrlOptions('postgresql://db/app?pgbouncer=1')).toThrow(ConfigurationError)
    expect(() => postgresUrlOptions('postgresql://db/app?pgbouncer=1')).toThrow(/"pgbouncer" has the value "1"/)
  })
})
