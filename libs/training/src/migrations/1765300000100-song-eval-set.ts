import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SONG_EVAL_ITEMS, SONG_EVAL_SET_ID, SONG_EVAL_SET_NAME } from '../data/song-eval-set';

/** The built-in 50-song eval set for song-analysis (no tenant: every tenant may run it). */
export class SongEvalSet1765300000100 implements MigrationInterface {
  name = 'SongEvalSet1765300000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO eval_sets (id, tenant_id, name, profile_key, items) VALUES ($1, NULL, $2, 'song-analysis', $3)`, [
      SONG_EVAL_SET_ID,
      SONG_EVAL_SET_NAME,
      SONG_EVAL_ITEMS.length,
    ]);
    await q.query(
      `INSERT INTO eval_items (eval_set_id, seq, input, expected) SELECT $1, s.seq, s.input, s.expected FROM unnest($2::int[], $3::jsonb[], $4::jsonb[]) AS s(seq, input, expected)`,
      [
        SONG_EVAL_SET_ID,
        SONG_EVAL_ITEMS.map((_, i) => i),
        SONG_EVAL_ITEMS.map((s) => JSON.stringify(s.input)),
        SONG_EVAL_ITEMS.map((s) => JSON.stringify(s.expected)),
      ],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM eval_sets WHERE id = $1`, [SONG_EVAL_SET_ID]);
  }
}
