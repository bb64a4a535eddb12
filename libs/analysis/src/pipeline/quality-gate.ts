// The rules of a profile's quality gate, shared by the runner (which applies them) and profile validation
// (which checks that a tenant's gate can be applied).
//
// Under a gate, the step right before the assess step is the *content step*: the assess step judges its
// output, and each refine round's output replaces it (so `{{steps.<content>}}` in the assess and refine
// templates always means the latest version). When the profile's last step (refine aside) is the assess
// step, the pipeline's output is the latest content with `scores` (the last assessment) and `rounds`
// (refine rounds run) added.
import { COMPLEXITIES, type Complexity, type JsonSchema } from '@margin/contracts';
import type { ProfileDefinition, ProfileStep, QualityGate } from './pipeline.types';

export interface GateSteps {
  assess: ProfileStep;
  refine: ProfileStep;
  content: ProfileStep;
}

/** The gate's steps, or a list of reasons the gate cannot work with these steps. */
export function gateSteps(steps: readonly ProfileStep[], gate: QualityGate): GateSteps | string[] {
  const problems: string[] = [];
  const assessAt = steps.findIndex((s) => s.name === gate.assessStep);
  const refineAt = steps.findIndex((s) => s.name === gate.refineStep);
  if (assessAt < 0) problems.push(`qualityGate.assessStep "${gate.assessStep}" is not a step of this profile`);
  if (refineAt < 0) problems.push(`qualityGate.refineStep "${gate.refineStep}" is not a step of this profile`);
  if (problems.length) return problems;
  if (assessAt === refineAt) return ['qualityGate.assessStep and qualityGate.refineStep must be different steps'];
  if (refineAt < assessAt)
    problems.push(`qualityGate.refineStep "${gate.refineStep}" must come after the assess step "${gate.assessStep}" (it works from the assessment)`);
  const content = steps[assessAt - 1];
  if (!content || assessAt - 1 === refineAt) problems.push(`qualityGate.assessStep "${gate.assessStep}" needs a step before it whose output it assesses`);
  const assess = steps[assessAt];
  const refine = steps[refineAt];
  if (problems.length || !content || !assess || !refine) return problems;
  return { assess, refine, content };
}

/** One tier up per round, never past the top: medium → complex, complex; simple → medium → complex. */
export function escalate(base: Complexity, round: number): Complexity {
  const at = Math.min(COMPLEXITIES.indexOf(base) + round, COMPLEXITIES.length - 1);
  return COMPLEXITIES[at] ?? 'complex';
}

/** The number at `field` (a dotted path) of an assessment, or undefined. */
export function readScore(assessment: unknown, field: string): number | undefined {
  let value: unknown = assessment;
  for (const key of field.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The schema at a dotted path through `properties`, or undefined. */
export function schemaAt(schema: unknown, field: string): Record<string, unknown> | undefined {
  let node: unknown = schema;
  for (const key of field.split('.')) {
    const props = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)['properties'] : undefined;
    if (typeof props !== 'object' || props === null) return undefined;
    node = (props as Record<string, unknown>)[key];
  }
  return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}

/** The last step whose output can be the pipeline's output (the refine step never is: it replaces the content). */
export function finalStep(profile: Pick<ProfileDefinition, 'steps' | 'qualityGate'>): ProfileStep | undefined {
  return profile.steps.filter((s) => s.name !== profile.qualityGate?.refineStep).at(-1);
}

/** Whether the output is the gated content with its scores (see the file's note). */
export function composesGatedOutput(profile: Pick<ProfileDefinition, 'steps' | 'qualityGate'>): boolean {
  return profile.qualityGate !== undefined && finalStep(profile)?.name === profile.qualityGate.assessStep;
}

export function composeGatedOutput(content: unknown, scores: unknown, rounds: number): Record<string, unknown> {
  const base = typeof content === 'object' && content !== null && !Array.isArray(content) ? (content as Record<string, unknown>) : { content };
  return { ...base, scores, rounds };
}

/**
 * The output schema a profile has when it does not give one: the final step's output schema, or, when the
 * output is gated content, the content step's object schema with `scores` and `rounds` added.
 */
export function deriveOutputSchema(profile: Pick<ProfileDefinition, 'steps' | 'qualityGate'>): JsonSchema | undefined {
  const last = finalStep(profile);
  if (!last) return undefined;
  if (!profile.qualityGate || !composesGatedOutput(profile)) return last.outputSchema;
  const gate = gateSteps(profile.steps, profile.qualityGate);
  if (Array.isArray(gate)) return undefined;
  const content = gate.content.outputSchema;
  const props = content['properties'];
  if (content['type'] !== 'object' || typeof props !== 'object' || props === null) return undefined;
  const required = Array.isArray(content['required']) ? (content['required'] as unknown[]) : [];
  return {
    ...content,
    properties: {
      ...(props as Record<string, unknown>),
      scores: gate.assess.outputSchema,
      rounds: { type: 'integer', minimum: 0, maximum: profile.qualityGate.maxRounds, description: 'Refinement rounds run' },
    },
    required: [...required.filter((r) => r !== 'scores' && r !== 'rounds'), 'scores', 'rounds'],
  };
}
