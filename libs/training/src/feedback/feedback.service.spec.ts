import type { ProfileDefinition } from '@margin/analysis';

type ProfileStep = ProfileDefinition['steps'][number];
import { answerOf, editTarget } from './feedback.service';

const step = (name: string): ProfileStep => ({ name, operation: name, complexity: 'simple', prompt: 'p', outputSchema: {} }) as ProfileStep;

describe('what a correction corrects', () => {
  it('a plain profile: its last step', () => {
    expect(editTarget({ steps: [step('research'), step('write')] })).toEqual({ steps: ['write'], composed: false });
  });

  it('a gate that composes the output: the content and refine steps, without the gate’s scores and rounds', () => {
    const profile = {
      steps: [step('draft'), step('assess'), step('refine')],
      qualityGate: { assessStep: 'assess', refineStep: 'refine', scoreField: 'overall', threshold: 70, maxRounds: 2 },
    };
    const target = editTarget(profile);
    expect(target).toEqual({ steps: ['draft', 'refine'], composed: true });
    expect(answerOf({ title: 't', content: 'c', scores: { overall: 80 }, rounds: 1 }, target)).toEqual({ title: 't', content: 'c' });
    expect(answerOf({ title: 't' }, { steps: ['x'], composed: false })).toEqual({ title: 't' });
  });
});
