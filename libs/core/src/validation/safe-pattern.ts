// Regular expressions that tenants and operators write (JSON-schema `pattern`s in profiles, priority rules) run
// on the event loop that every tenant shares. A pattern that backtracks (`^(a+)+$`, `(a|a)*$`) can take time
// exponential or polynomial in its input: such patterns are refused when saved, before anything can run them.
// recheck analyses the pattern itself (automaton and fuzzing), off the event loop, within a time limit.
import { check } from 'recheck';

/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 500;

/** How long one pattern's analysis may take; a pattern that cannot be judged in time is refused. */
const CHECK_TIMEOUT_MS = 3000;

/** Why `pattern` may not be used, or null when it may. */
export async function unsafePatternProblem(pattern: string, flags = 'u'): Promise<string | null> {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, flags);
  } catch {
    return 'is not a valid regular expression';
  }
  const verdict = await check(pattern, flags.replace('u', ''), { timeout: CHECK_TIMEOUT_MS });
  if (verdict.status === 'safe') return null;
  if (verdict.status === 'vulnerable') {
    const how = verdict.complexity.type === 'exponential' ? 'exponential' : `polynomial (degree ${verdict.complexity.degree})`;
    return `could take ${how} time on some inputs (e.g. ${JSON.stringify(verdict.attack.pattern).slice(0, 60)}); rewrite it so that no part can match the same text in several ways`;
  }
  return 'could not be shown to run in linear time; simplify it';
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `pattern` and `patternProperties` key inside a JSON schema, with where it is. */
function schemaPatterns(schema: unknown, path: string, out: Array<{ path: string; pattern: string }>, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(schema)) return schema.forEach((s, i) => schemaPatterns(s, `${path}.${i}`, out, depth + 1));
  if (!isRecord(schema)) return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'pattern' && typeof value === 'string') out.push({ path: `${path}.pattern`, pattern: value });
    else if (key === 'patternProperties' && isRecord(value)) {
      for (const [p, sub] of Object.entries(value)) {
        out.push({ path: `${path}.patternProperties "${p.slice(0, 40)}"`, pattern: p });
        schemaPatterns(sub, `${path}.patternProperties.${p.slice(0, 40)}`, out, depth + 1);
      }
    } else if (typeof value === 'object' && value !== null && key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'examples') {
      schemaPatterns(value, `${path}.${key}`, out, depth + 1);
    }
  }
}

/** Every unsafe `pattern` and `patternProperties` key inside a JSON schema, as problems naming where. */
export async function unsafeSchemaPatterns(schema: unknown, path: string): Promise<string[]> {
  const found: Array<{ path: string; pattern: string }> = [];
  schemaPatterns(schema, path, found);
  const verdicts = await Promise.all(found.map((f) => unsafePatternProblem(f.pattern)));
  return found.flatMap((f, i) => (verdicts[i] ? [`${f.path} ${verdicts[i]}`] : []));
}
