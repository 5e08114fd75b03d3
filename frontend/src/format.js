// Number and label formatting shared by the views (British English conventions).

const whole = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const oneDp = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

export function count(value) {
  return value === null || value === undefined ? '–' : whole.format(value);
}

export function percent(fraction) {
  return fraction === null || fraction === undefined ? '–' : `${oneDp.format(fraction * 100)}%`;
}

// Percentage points between two shares (the predominant class's lead).
export function points(fraction) {
  return fraction === null || fraction === undefined ? '–' : `${oneDp.format(fraction * 100)} points`;
}

export function index(value) {
  return value === null || value === undefined ? '–' : whole.format(value);
}

export function decimal(value) {
  return value === null || value === undefined ? '–' : oneDp.format(value);
}

// Band edges [low_upper, high_lower] as the words the legend and table use.
export function bandRanges(edges) {
  if (!Array.isArray(edges) || edges.length < 2) return { high: '', medium: '', low: '' };
  const [low, high] = edges.map((e) => decimal(e).replace(/\.0$/, ''));
  return { high: `index ≥ ${high}`, medium: `${low} < index < ${high}`, low: `index ≤ ${low}` };
}

export const BANDS = ['high', 'medium', 'low'];

// Sequential, colour-blind safe; the darkest band is the highest demand.
export const BAND_COLOURS = Object.freeze({ high: '#b30000', medium: '#fc8d59', low: '#fee8c8' });
export const NO_DATA = '#d9d9d9';
// output areas of an older vintage with no Census 2021 record (the tiles' class_name, no class code)
export const BOUNDARY_CHANGED = 'no 2021 data: boundary changed';
export const CHANGED_FILL = '#f7f7f7';

// Modelled channel suitability: the assisted-contact index in five bands (100 = England and Wales).
export const CHANNEL_BANDS = Object.freeze([
  { key: 'much-more', min: 120, colour: '#7a0177', label: 'Assisted contact much more likely (index 120 and over)' },
  { key: 'more', min: 110, colour: '#c51b8a', label: 'More likely (110 to 120)' },
  { key: 'average', min: 90, colour: '#fbb4b9', label: 'About average (90 to 110)' },
  { key: 'less', min: 80, colour: '#a6dba0', label: 'Less likely (80 to 90)' },
  { key: 'much-less', min: -Infinity, colour: '#1b7837', label: 'Web much more likely (under 80)' },
]);

export function channelBand(index) {
  if (index === null || index === undefined || !Number.isFinite(Number(index))) return null;
  return CHANNEL_BANDS.find((b) => Number(index) >= b.min);
}
