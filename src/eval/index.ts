/** Metrics: FID beside its floor, diversity, nearest neighbours, memorisation, plausibility, identification, and the statistics of intervals and paired tests. */
export * from './stats.js';
export * from './features.js';
export * from './fid.js';
export * from './diversity.js';
export * from './nearest.js';
export * from './memorisation.js';
export * from './plausibility.js';
export * from './identification.js';
