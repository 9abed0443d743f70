/** Dataset I/O: gait tables in Parquet and Arrow IPC, E-Gait HDF5 and BVH import, preprocessing, grouped splits. Never imports tfjs. */
export * from './schema.js';
export * from './decode.js';
export * from './gaitfile.js';
export * from './preprocess.js';
export * from './egait.js';
export * from './bvh.js';
export * from './labels.js';
export * from './inspect.js';
export * from './records.js';
export * from './split.js';
