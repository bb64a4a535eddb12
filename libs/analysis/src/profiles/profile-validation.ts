// What makes a profile runnable, checked before a tenant's profile is saved (and by the built-ins' tests):
// every schema compiles, step names are unique, templates refer only to what exists when they render, and
// the quality gate names steps that can play their parts.
import { DomainError, unsafeSchemaPatterns } from '@margin/core';
import { schemaCompileProblem } from '../pipeline/json-schema';
import type { ProfileDefinition } from '../pipeline/pipeline.types';
import { gateSteps, schemaAt } from '../pipeline/quality-gate';
import { validateTemplates } from '../pipeline/template';

export const PROFILE_KEY_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;
/** Step names appear in template paths and as the structured-output name sent to providers. */
export const STEP_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const OPERATION_PATTERN = /^[a-z][a-z0-9_-]{0,49}$/;
export const MAX_STEPS = 20;
export const MAX_ROUNDS = 5;

export class InvalidProfileError extends DomainError {
  readonly code = 'invalid_profile';
  readonly httpStatus = 400;
  constructor(readonly problems: string[]) {
    super(`Invalid profile: ${problems.join('; ')}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Key order does not matter when comparing schemas. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Patterns that could freeze whoever runs them (ReDoS), in any of the profile's schemas: they run against
 * tenants' inputs in the API and models' outputs in the workers. Analysed off the event loop, hence async.
 */
export async function unsafeProfilePatterns(profile: Pick<ProfileDefinition, 'inputSchema' | 'outputSchema' | 'steps'>): Promise<string[]> {
  const lists = await Promise.all([
    unsafeSchemaPatterns(profile.inputSchema, 'inputSchema'),
    unsafeSchemaPatterns(profile.outputSchema, 'outputSchema'),
    ...profile.steps.map((step, i) => unsafeSchemaPatterns(step.outputSchema, `steps.${i}.outputSchema`)),
  ]);
  return lists.flat();
}

/** Problems that keep a profile from running; empty when it can run. */
export function validateProfile(profile: ProfileDefinition): string[] {
  const problems: string[] = [];
  if (!PROFILE_KEY_PATTERN.test(profile.key))
    problems.push('key must be lowercase letters, digits and hyphens (at most 100), starting and ending with a letter or digit');

  const inputProblem = schemaCompileProblem(profile.inputSchema);
  if (inputProblem) problems.push(`inputSchema is not a valid JSON schema: ${inputProblem}`);
  else if (profile.inputSchema['type'] !== 'object' || !isRecord(profile.inputSchema['properties'])) {
    problems.push('inputSchema must be an object schema with "properties" (templates refer to input.<property>)');
  }
  const outputProblem = schemaCompileProblem(profile.outputSchema);
  if (outputProblem) problems.push(`outputSchema is not a valid JSON schema: ${outputProblem}`);

  if (profile.steps.length === 0) problems.push('steps must have at least one step');
  if (profile.steps.length > MAX_STEPS) problems.push(`steps must have at most ${MAX_STEPS} steps`);
  const firstIndex = new Map<string, number>();
  profile.steps.forEach((step, i) => {
    if (!STEP_NAME_PATTERN.test(step.name)) problems.push(`steps.${i}.name must start with a letter and use only letters, digits, "_" and "-" (at most 64)`);
    const seen = firstIndex.get(step.name);
    if (seen !== undefined) problems.push(`steps.${i}.name "${step.name}" is already the name of steps.${seen}`);
    else firstIndex.set(step.name, i);
    if (!OPERATION_PATTERN.test(step.operation)) problems.push(`steps.${i}.operation must be lowercase letters, digits, "_" and "-" (at most 50)`);
    const schemaProblem = schemaCompileProblem(step.outputSchema);
    if (schemaProblem) problems.push(`steps.${i}.outputSchema is not a valid JSON schema: ${schemaProblem}`);
  });

  problems.push(...validateTemplates(profile));

  const gate = profile.qualityGate;
  if (gate) {
    if (!Number.isInteger(gate.maxRounds) || gate.maxRounds < 0 || gate.maxRounds > MAX_ROUNDS)
      problems.push(`qualityGate.maxRounds must be an integer from 0 to ${MAX_ROUNDS}`);
    if (!Number.isFinite(gate.threshold)) problems.push('qualityGate.threshold must be a number');
    const steps = gateSteps(profile.steps, gate);
    if (Array.isArray(steps)) problems.push(...steps);
    else {
      const score = schemaAt(steps.assess.outputSchema, gate.scoreField);
      if (!score || (score['type'] !== 'number' && score['type'] !== 'integer')) {
        problems.push(`qualityGate.scoreField "${gate.scoreField}" must be a number or integer property of the outputSchema of step "${steps.assess.name}"`);
      }
      if (canonical(steps.refine.outputSchema) !== canonical(steps.content.outputSchema)) {
        problems.push(
          `qualityGate.refineStep "${steps.refine.name}" must have the same outputSchema as step "${steps.content.name}", whose output it replaces`,
        );
      }
    }
  }
  return [...new Set(problems)];
}
