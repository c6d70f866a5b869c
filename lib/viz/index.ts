export { displayBundle, inNotebook, type MimeBundle } from './notebook_display.ts';
export { PLOTLY_MIME, escapeHtml, figureBundle, figureHtml, figuresPageHtml, plotlyJsVersion, plotlyLoaderHtml, showFigure, type FigureBundleOptions, type PlotlyFigure } from './plotly.ts';
export { rowsToFrame, showTable, tableBundle, tableHtml, tableText, type FrameLike, type TableOptions } from './table.ts';
export { grayPng, imageGridBundle, imageGridHtml, showImages, toGray8, type ImageGridOptions, type ImageTile } from './images.ts';
