/**
 * The marketing KPIs come from publishing (posts, deliveries, endpoints). Metrics sits above publishing in the
 * layers, but publishing is a separate module: it implements this port and the app provides it, e.g.
 *   { provide: MARKETING_FIGURES, useExisting: PublishingFiguresService }
 * Until one is provided, the marketing KPIs are 0 with `source: "none"` (there is no publishing data to count).
 */
export interface MarketingFigures {
  postsCreated: number;
  postsPublished: number;
  deliveriesFailed: number;
  /** Enabled endpoints now (not a range figure). */
  endpointsActive: number;
}

export interface MarketingFiguresSource {
  /** The tenant's figures for [from, to). */
  figures(tenantId: string, from: Date, to: Date): Promise<MarketingFigures>;
}

export const MARKETING_FIGURES = Symbol('MARKETING_FIGURES');
