/** The generator's programmatic API. */
export { checkOutput, type StaleFile } from './check.js'
export { main as runCli, EXIT } from './cli.js'
export { GeneratorError, SchemaError, UsageError, type Diagnostic, type SourceLocation } from './errors.js'
export { generate, generateFromFiles, generateInMemory, type GenerateOptions, type GenerationResult } from './generate.js'
export type { GeneratedFile } from './emit/project.js'
export type { SchemaDescription, ModelDescription, FieldDescription, RelationDescription, EnumDescription } from './model/description.js'
