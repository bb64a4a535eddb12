import { useHealth } from '../hooks/useHealth';
import { providersOf } from '../types/health';

/**
 * Says loudly when answers come from Margin's LLM emulator. Based on /health, which everyone may read
 * (the provider list itself is admin-only).
 */
export function EmulatorNotice() {
  const health = useHealth();
  const emulated = providersOf(health.data).filter((provider) => provider.emulated);
  if (emulated.length === 0) return null;

  return (
    <section className="notice notice--warning" aria-label="Emulator notice">
      <p className="notice__title">Models are emulated</p>
      <p>
        The LLM emulator stands in for {emulated.map((provider) => provider.id).join(', ')}: answers are synthetic, and their costs are computed from catalog
        prices as if a real provider had answered.
      </p>
    </section>
  );
}
