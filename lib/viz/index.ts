export { displayBundle, inNotebook, type DisplayTarget, type MimeBundle } from './notebook_display.ts';
export { PLOTLY_MIME, escapeHtml, figureBundle, figureHtml, figuresPageHtml, liveFigure, plotlyJsVersion, plotlyLoaderHtml, showFigure, type FigureBundleOptions, type LiveFigure, type PlotlyFigure } from './plotly.ts';
export { rowsToFrame, showTable, tableBundle, tableHtml, tableText, type FrameLike, type TableOptions } from './table.ts';
export { GREY_COLORSCALE, grayPng, imageGridBundle, imageGridHtml, radiographTrace, showImages, toGray8, type ImageGridOptions, type ImageTile } from './images.ts';
export { pca2d, umap2d, type Projection2D, type UmapOptions } from './embeddings.ts';
export { pairBrowserFigure, scatterMenuFigure, wrapForPlotly, type ColouringChoice, type PairBrowserItem, type ProjectionChoice } from './interactive.ts';
