import { base64Vector, EMBEDDING_MODELS, embeddingVector, findEmbeddingModel } from './embeddings';

const small = findEmbeddingModel('text-embedding-3-small')!;

describe('emulated embeddings', () => {
  it('are deterministic per model and text, unit length, at the model size', () => {
    const a = embeddingVector(small, 'a hymn');
    expect(a).toHaveLength(1536);
    expect(embeddingVector(small, 'a hymn')).toEqual(a);
    expect(embeddingVector(small, 'an organ')).not.toEqual(a);
    expect(embeddingVector(findEmbeddingModel('text-embedding-3-large')!, 'a hymn').slice(0, 5)).not.toEqual(a.slice(0, 5));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('dimensions shortens the vector and re-normalizes it (the prefix direction is kept)', () => {
    const full = embeddingVector(small, 'a hymn');
    const short = embeddingVector(small, 'a hymn', 8);
    expect(short).toHaveLength(8);
    expect(Math.hypot(...short)).toBeCloseTo(1, 5);
    const scale = (full[0] as number) / (short[0] as number);
    short.forEach((x, i) => expect((full[i] as number) / x).toBeCloseTo(scale, 4));
  });

  it('base64 is the little-endian float32 bytes', () => {
    const v = embeddingVector(small, 'x', 4);
    const buf = Buffer.from(base64Vector(v), 'base64');
    expect(buf).toHaveLength(16);
    expect([0, 1, 2, 3].map((i) => buf.readFloatLE(i * 4))).toEqual(v);
  });

  it('knows Ollama names with and without :latest, and nothing else', () => {
    expect(findEmbeddingModel('nomic-embed-text:latest')?.dimensions).toBe(768);
    expect(findEmbeddingModel('gpt-4o-mini')).toBeUndefined();
    expect(new Set(EMBEDDING_MODELS.map((m) => m.name)).size).toBe(EMBEDDING_MODELS.length);
  });
});
