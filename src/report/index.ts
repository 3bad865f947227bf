// The report module's entry: results directory in, report.html (plus static chart files and
// records.csv) out.
// The CLI's `rulebench report <dir>` and `npm start` call writeReport.
export { writeReport, buildPage, loadBundles, type PageOptions } from './page.ts';
export {
  readResults,
  labelSeries,
  seriesKey,
  type ResultSet,
  type Series,
  type Trial,
  type Reference,
  type ExperimentInfo,
  type Environment,
  type OtherRecord,
} from './records.ts';
export { buildCharts, CHARTS, CORE_CHARTS, type BuiltChart, type ChartDef } from './charts.ts';
export { OPTIONAL_CHARTS } from './optional-charts.ts';
export { writeCharts, renderSvg, compileSpec, staticSpec } from './render.ts';
export { summarize, quantiles, bootstrapMean, pairedComparison, type Stats, type Interval, type PairedComparison } from './stats.ts';
export { seriesFigures, trialFigures, type SeriesFigures, type TrialFigures } from './figures.ts';
export { recordRows, toCsv, writeRecordsCsv, CSV_NAME } from './csv.ts';
export { summaryRows, writeSummaryCsv, SUMMARY_CSV, type SummaryRow } from './summary.ts';
export { referenceSeries } from './records.ts';
