import { parseSchedule } from './schedule';

describe('parseSchedule', () => {
  const now = new Date(2030, 0, 10, 12, 0);

  it('reads the field as local time and answers an ISO instant', () => {
    expect(parseSchedule('2030-01-11T09:30', now)).toEqual({ ok: true, iso: new Date(2030, 0, 11, 9, 30).toISOString() });
  });

  it('refuses empty, invalid and past times', () => {
    expect(parseSchedule('', now)).toEqual({ ok: false, error: 'Choose the date and time to publish at.' });
    expect(parseSchedule('soon', now)).toEqual({ ok: false, error: 'Enter a valid date and time.' });
    expect(parseSchedule('2030-01-10T11:59', now)).toEqual({ ok: false, error: 'Choose a time in the future.' });
  });
});
