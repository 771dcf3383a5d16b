/**
 * RFC 8010 tag values (§3.5), RFC 8011 operation ids (§5.4.15) and status codes (Appendix B), as the
 * codec and the IPP door use them. Plain `as const` objects: the codec keeps any tag it does not name.
 */

/** Delimiter tags (0x00–0x0F) begin an attribute group or end the attributes. */
export const GroupTag = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
  subscription: 0x06,
  eventNotification: 0x07,
  resource: 0x08,
  document: 0x09,
  system: 0x0a,
} as const;

export const ValueTag = {
  // out-of-band (0x10–0x1F): no value
  unsupported: 0x10,
  default: 0x11,
  unknown: 0x12,
  noValue: 0x13,
  notSettable: 0x15,
  deleteAttribute: 0x16,
  adminDefine: 0x17,
  // integers
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  // octet strings
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  // character strings
  textWithoutLanguage: 0x41,
  nameWithoutLanguage: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
  /** The next four octets of the value are the real (extended) tag. */
  extension: 0x7f,
} as const;

export function isDelimiterTag(tag: number): boolean {
  return tag >= 0x00 && tag <= 0x0f;
}

export function isOutOfBandTag(tag: number): boolean {
  return tag >= 0x10 && tag <= 0x1f;
}

/** Tags whose value is UTF-8 (or US-ASCII) text: 0x40–0x5F, except memberAttrName handled by the codec. */
export function isStringTag(tag: number): boolean {
  return tag >= 0x40 && tag <= 0x5f;
}

export const Operation = {
  printJob: 0x0002,
  printUri: 0x0003,
  validateJob: 0x0004,
  createJob: 0x0005,
  sendDocument: 0x0006,
  sendUri: 0x0007,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
  holdJob: 0x000c,
  releaseJob: 0x000d,
  restartJob: 0x000e,
  pausePrinter: 0x0010,
  resumePrinter: 0x0011,
  purgeJobs: 0x0012,
} as const;

export const Status = {
  successfulOk: 0x0000,
  successfulOkIgnoredOrSubstituted: 0x0001,
  successfulOkConflicting: 0x0002,
  clientErrorBadRequest: 0x0400,
  clientErrorForbidden: 0x0401,
  clientErrorNotAuthenticated: 0x0402,
  clientErrorNotAuthorized: 0x0403,
  clientErrorNotPossible: 0x0404,
  clientErrorTimeout: 0x0405,
  clientErrorNotFound: 0x0406,
  clientErrorGone: 0x0407,
  clientErrorRequestEntityTooLarge: 0x0408,
  clientErrorRequestValueTooLong: 0x0409,
  clientErrorDocumentFormatNotSupported: 0x040a,
  clientErrorAttributesOrValuesNotSupported: 0x040b,
  clientErrorUriSchemeNotSupported: 0x040c,
  clientErrorCharsetNotSupported: 0x040d,
  clientErrorConflictingAttributes: 0x040e,
  clientErrorCompressionNotSupported: 0x040f,
  clientErrorCompressionError: 0x0410,
  clientErrorDocumentFormatError: 0x0411,
  clientErrorDocumentAccessError: 0x0412,
  serverErrorInternalError: 0x0500,
  serverErrorOperationNotSupported: 0x0501,
  serverErrorServiceUnavailable: 0x0502,
  serverErrorVersionNotSupported: 0x0503,
  serverErrorDeviceError: 0x0504,
  serverErrorTemporaryError: 0x0505,
  serverErrorNotAcceptingJobs: 0x0506,
  serverErrorBusy: 0x0507,
  serverErrorJobCanceled: 0x0508,
  serverErrorMultipleDocumentJobsNotSupported: 0x0509,
} as const;
