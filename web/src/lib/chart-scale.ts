/**
 * Left margin of a chart, in px, wide enough for its longest y label at the chart's 12px font
 * (about 7px a character for digits and " ms", plus the 6px gap to the axis and a little air).
 */
export function yLabelMargin(label: string): number {
  return Math.max(32, Math.ceil(label.length * 7.2) + 12);
}
