/** Rendering: animated GLB files, the HTML viewer and SVG/PNG filmstrips. Never imports tfjs. */
export { EMOTION_COLORS, LABEL_PALETTE, labelColors } from './colors.js';
export { selectGaits, checkRenderable, type GaitSelection } from './select.js';
export {
  DEFAULT_GLB, resolveGlb, gaitSetToGlb, gaitToGlb, writeGlb, uniqueFileNames,
  type GlbConfig, type GlbSceneExtras, type GlbGaitExtras, type WriteGlbOptions,
} from './glb.js';
export {
  DEFAULT_FILMSTRIP, resolveFilmstrip, filmstripSvg, gaitStripSvg, svgToPng, writeFilmstrip, cycleFrames,
  type FilmstripConfig, type FilmstripView, type PngOptions, type WriteFilmstripOptions,
} from './filmstrip.js';
export { DEFAULT_VIEWER, viewerBundle, viewerData, viewerHtml, writeViewer, type ViewerConfig } from './viewer.js';
export type { ViewerData, ViewerGait, ViewerState } from './viewer-app.js';
export { validateGlb, type GlbValidation } from './validate.js';
