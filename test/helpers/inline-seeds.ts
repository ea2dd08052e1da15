// Inline schemas and seed rows several query tests share: an employee tree (a self relation), posts with tags, and the tables named like aliases.
import type { InlineModels } from './inline-models.js'

/** Employee manages Employees through the nullable `managerId` (relation "Manages": `manager` up, `reports` down). */
export const EMPLOYEE_MODELS = `model Employee {
  id        Int        @id @default(autoincrement())
  name      String
  managerId Int?
  manager   Employee?  @relation("Manages", fields: [managerId], references: [id])
  reports   Employee[] @relation("Manages")
}
`

/**
 * Seeds {@link EMPLOYEE_MODELS} and commits: ceo, boss (managed by ceo), one employee per name of
 * `bossReports` (managed by boss), then cy (managed by ceo), stored in that order.
 */
export async function seedEmployees(models: InlineModels, bossReports: readonly string[]): Promise<void> {
  const { Employee } = models.classes
  await models.inSession(async (seed) => {
    const ceo = new Employee({ name: 'ceo' })
    const boss = new Employee({ name: 'boss', manager: ceo })
    seed.addAll([ceo, boss, ...bossReports.map((name) => new Employee({ name, manager: boss })), new Employee({ name: 'cy', manager: ceo })])
    await seed.commit()
  })
}

/** Seeds POST_TAG_MODELS (test/helpers/schemas.ts) and commits: tags red and green, posts p1 p2 p3; red tags p1 and p2, green tags p2, p3 has none. */
export async function seedPostTags(models: InlineModels): Promise<void> {
  const { Post, Tag } = models.classes
  await models.inSession(async (seed) => {
    const [red, green] = [new Tag({ name: 'red' }), new Tag({ name: 'green' })]
    const posts = ['p1', 'p2', 'p3'].map((title) => new Post({ title }))
    seed.addAll([red, green, ...posts])
    await seed.flush()
    red.posts.append(posts[0])
    red.posts.append(posts[1])
    green.posts.append(posts[1])
    await seed.commit()
  })
}

/**
 * Seeds ALIAS_NAMED_MODELS (test/helpers/schemas.ts) and commits: Nodes root (id 1), kid (id 2, under root)
 * and a third one (id 3) named `third.name` under `third.parent`; Labels red (id 1, holding root and kid) and blue (id 2, empty).
 */
export async function seedAliasNamedTree(models: InlineModels, third: { readonly name: string; readonly parent: 'root' | 'kid' }): Promise<void> {
  const { Node, Label } = models.classes
  await models.inSession(async (seed) => {
    const root = new Node({ name: 'root' })
    const kid = new Node({ name: 'kid', parent: root })
    const [red, blue] = [new Label({ name: 'red' }), new Label({ name: 'blue' })]
    seed.addAll([root, kid, new Node({ name: third.name, parent: third.parent === 'root' ? root : kid }), red, blue])
    await seed.flush()
    ;(await red.nodes).push(root, kid)
    await seed.commit()
  })
}
