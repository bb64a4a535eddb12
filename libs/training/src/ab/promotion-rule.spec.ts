import { decideDemotion, decidePromotion, type ArmEvidence } from './promotion-rule';

const arm = (over: Partial<ArmEvidence>): ArmEvidence => ({ model: 'm', answered: 100, costUsd: 1, judged: 50, quality: 80, rated: 0, rating: null, ...over });
const rule = { minJudged: 20, margin: 5 };

describe('the promotion rule', () => {
  it('promotes a cheaper challenger whose quality is within the margin', () => {
    const d = decidePromotion(arm({ model: 'big', costUsd: 10, quality: 82 }), arm({ model: 'small', costUsd: 1, quality: 78 }), rule);
    expect(d).toMatchObject({ action: 'promote', incumbentQuality: 82, challengerQuality: 78, incumbentCostPerCall: 0.1, challengerCostPerCall: 0.01 });
  });

  it('holds when the challenger is more than the margin below', () => {
    expect(decidePromotion(arm({ costUsd: 10, quality: 90 }), arm({ costUsd: 1, quality: 84 }), rule).action).toBe('hold');
  });

  it('holds when the challenger is not cheaper, however good', () => {
    const d = decidePromotion(arm({ costUsd: 1, quality: 70 }), arm({ costUsd: 1, quality: 95 }), rule);
    expect(d.action).toBe('hold');
    expect(d.reason).toMatch(/costs no less/);
  });

  it('holds until both arms have enough judged answers; ratings count when assessments are too few', () => {
    const d = decidePromotion(arm({ model: 'big', costUsd: 10 }), arm({ model: 'small', judged: 19 }), rule);
    expect(d).toMatchObject({ action: 'hold', challengerQuality: null });
    expect(d.reason).toContain('small (challenger)');
    const rated = decidePromotion(
      arm({ costUsd: 10, judged: 0, quality: null, rated: 30, rating: 4 }),
      arm({ costUsd: 1, judged: 0, quality: null, rated: 25, rating: 3.9 }),
      rule,
    );
    expect(rated).toMatchObject({ action: 'promote', incumbentQuality: 80, challengerQuality: 78 });
  });
});

describe('the demotion rule', () => {
  it('demotes a promoted model whose quality fell more than the margin below the previous incumbent, whatever it costs', () => {
    const d = decideDemotion(arm({ model: 'small', costUsd: 0, quality: 70 }), arm({ model: 'big', costUsd: 10, quality: 80 }), rule);
    expect(d).toMatchObject({ action: 'demote', incumbentQuality: 70, challengerQuality: 80 });
    expect(d.reason).toMatch(/regression/);
  });

  it('holds within the margin, and without enough judged answers on either arm', () => {
    expect(decideDemotion(arm({ quality: 76 }), arm({ quality: 80 }), rule).action).toBe('hold');
    expect(decideDemotion(arm({ quality: 75 }), arm({ quality: 80 }), rule).action).toBe('hold');
    const thin = decideDemotion(arm({ model: 'small', quality: 10, judged: 5 }), arm({ model: 'big', quality: 90 }), rule);
    expect(thin).toMatchObject({ action: 'hold', incumbentQuality: null });
    expect(thin.reason).toContain('small (promoted)');
  });
});
