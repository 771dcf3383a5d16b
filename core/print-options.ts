/**
 * The print options a terminal may ask for, in one place: their values (IPP keywords: `media`,
 * `print-scaling`-like `fit`, `print-color-mode`), the defaults, and the types. core/schemas.ts
 * validates requests with these, core/convert.ts checks and applies them, a job records them.
 */

/** IPP media names (PWG 5101.1). */
export const MEDIA = ['iso_a4_210x297mm', 'na_letter_8.5x11in'] as const;
export type Media = (typeof MEDIA)[number];

/** How an image meets the page: whole with a margin (`fit`) or covering it, cropped (`fill`). */
export const FITS = ['fit', 'fill'] as const;
export type Fit = (typeof FITS)[number];

/** IPP print-color-mode values offered. */
export const COLOR_MODES = ['color', 'monochrome'] as const;
export type ColorMode = (typeof COLOR_MODES)[number];

export const MAX_COPIES = 99;
export const MAX_TITLE_LENGTH = 200;

export interface PrintOptions {
  copies: number;
  media: Media;
  fit: Fit;
  color: ColorMode;
  title?: string | undefined;
}

/** The options that shape the print data (core/convert.ts); copies and title travel with the job. */
export type ConvertOptions = Pick<PrintOptions, 'media' | 'fit' | 'color'>;

export const DEFAULT_PRINT_OPTIONS: Readonly<Required<Omit<PrintOptions, 'title'>>> = {
  copies: 1,
  media: 'iso_a4_210x297mm',
  fit: 'fit',
  color: 'color',
};
