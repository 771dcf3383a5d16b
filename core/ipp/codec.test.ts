import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attr,
  decodeMessage,
  encodeMessage,
  findAttribute,
  findGroup,
  type IppMessage,
  IppParseError,
  ipp,
  stringOf,
} from './codec.ts';
import { GroupTag, Operation, Status, ValueTag } from './tags.ts';
import { type Cleanup, captureIpptool, startIppeveprinter } from './testing/cups-tools.ts';

const PDF = '/usr/share/cups/data/default-testpage.pdf';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function operationGroup(uri: string) {
  return {
    tag: GroupTag.operation,
    attributes: [
      attr('attributes-charset', ipp.charset('utf-8')),
      attr('attributes-natural-language', ipp.naturalLanguage('en')),
      attr('printer-uri', ipp.uri(uri)),
    ],
  };
}

/** A message using every kind of value the codec knows, and some it does not. */
function everything(): IppMessage {
  return {
    version: { major: 2, minor: 0 },
    code: Operation.printJob,
    requestId: 42,
    groups: [
      operationGroup('ipp://127.0.0.1:631/ipp/print'),
      {
        tag: GroupTag.job,
        attributes: [
          attr('copies', ipp.integer(-3)),
          attr('orientation-requested', ipp.enum(4)),
          attr('job-hold', ipp.boolean(true)),
          attr('sides', ipp.keyword('one-sided'), ipp.keyword('two-sided-long-edge')),
          attr('job-name', {
            kind: 'language',
            tag: ValueTag.nameWithLanguage,
            value: { language: 'de', text: 'Grüße' },
          }),
          attr('job-description', ipp.text('ünïcode')),
          attr('printer-current-time', ipp.dateTime(new Date('2026-12-03T03:00:00.500Z'))),
          attr('printer-resolution', ipp.resolution(600, 300, 3)),
          attr('page-ranges', ipp.range(1, 5), ipp.range(7, 9)),
          attr('x-opaque', { kind: 'octets', tag: ValueTag.octetString, value: Uint8Array.of(0, 255, 7) }),
          attr('x-unknown-tag', { kind: 'octets', tag: 0x38, value: Uint8Array.of(1, 2, 3) }),
          attr('x-latin1-text', {
            kind: 'octets',
            tag: ValueTag.textWithoutLanguage,
            value: Uint8Array.of(0xe9),
          }),
          attr('x-none', ipp.noValue()),
          attr(
            'media-col',
            ipp.collection([
              attr(
                'media-size',
                ipp.collection([
                  attr('x-dimension', ipp.integer(21000)),
                  attr('y-dimension', ipp.integer(29700)),
                ]),
              ),
              attr('media-type', ipp.keyword('stationery')),
              attr('media-source-properties', ipp.collection([]), ipp.collection([attr('x', ipp.unknown())])),
            ]),
            ipp.collection([attr('media-key', ipp.keyword('a4'))]),
          ),
        ],
      },
      { tag: GroupTag.job, attributes: [attr('second-job-group', ipp.keyword('kept'))] },
    ],
    data: Uint8Array.of(37, 80, 68, 70),
  };
}

function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

describe('encodeMessage / decodeMessage', () => {
  it('encodes the RFC 8010 wire form octet for octet', () => {
    // Prepare: a Get-Printer-Attributes request with one 1setOf keyword
    const message = {
      version: { major: 1, minor: 1 },
      code: Operation.getPrinterAttributes,
      requestId: 1,
      groups: [
        {
          tag: GroupTag.operation,
          attributes: [
            attr('attributes-charset', ipp.charset('utf-8')),
            attr('requested-attributes', ipp.keyword('a'), ipp.keyword('bc')),
          ],
        },
      ],
    };
    // Act
    const bytes = encodeMessage(message);
    // Assess: header, group, first value named, additional value unnamed, end tag
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '0101000b00000001' +
        '01' +
        '47' +
        '0012' +
        Buffer.from('attributes-charset').toString('hex') +
        '0005' +
        Buffer.from('utf-8').toString('hex') +
        '44' +
        '0014' +
        Buffer.from('requested-attributes').toString('hex') +
        '0001' +
        '61' +
        '44' +
        '0000' +
        '0002' +
        '6263' +
        '03',
    );
  });

  it('gives back every value kind, collections and unknown tags unchanged, and the same octets', () => {
    // Prepare
    const message = everything();
    // Act
    const bytes = encodeMessage(message);
    const decoded = decodeMessage(bytes);
    // Assess
    expect(decoded).toEqual(message);
    expect(Buffer.from(encodeMessage(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('encodes a collection with begCollection, memberAttrName and endCollection', () => {
    // Prepare
    const message = {
      version: { major: 2, minor: 0 },
      code: 0,
      requestId: 7,
      groups: [{ tag: GroupTag.job, attributes: [attr('c', ipp.collection([attr('m', ipp.integer(1))]))] }],
    };
    // Act
    const hex = Buffer.from(encodeMessage(message)).toString('hex');
    // Assess
    expect(hex).toBe(
      '0200000000000007' +
        '02' +
        '34' +
        '0001' +
        '63' +
        '0000' +
        '4a' +
        '0000' +
        '0001' +
        '6d' +
        '21' +
        '0000' +
        '0004' +
        '00000001' +
        '37' +
        '0000' +
        '0000' +
        '03',
    );
  });
});

describe('decodeMessage on hostile input', () => {
  const header = '0200000b00000001';
  const cases: [string, string, RegExp][] = [
    ['a short header', '0200', /truncated.*header/],
    ['no end-of-attributes-tag', `${header}01`, /truncated.*no end-of-attributes/],
    ['a value longer than the message', `${header}01 44 0001 61 0010 6162`, /truncated.*value/],
    ['an attribute before any group', `${header} 44 0001 61 0001 62 03`, /before any group/],
    [
      'an additional value with no attribute',
      `${header}01 44 0000 0001 62 03`,
      /additional value without an attribute/,
    ],
    ['an integer of 3 octets', `${header}01 21 0001 61 0003 000001 03`, /integer value must be 4 octets/],
    [
      'an unclosed collection',
      `${header}01 34 0001 61 0000 4a 0000 0001 6d 21 0000 0004 00000001 03`,
      /not closed/,
    ],
    [
      'a member value before any member name',
      `${header}01 34 0001 61 0000 21 0000 0004 00000001 37 0000 0000 03`,
      /before any memberAttrName/,
    ],
    ['endCollection outside a collection', `${header}01 37 0000 0000 03`, /outside a collection/],
    [
      'a string with language whose lengths disagree',
      `${header}01 35 0001 61 0006 0002 656e 0005 03`,
      /language/,
    ],
  ];
  it.each(cases)('refuses %s with a clear error', (_what, hex, message) => {
    // Act / Assess
    expect(() => decodeMessage(bytesOf(hex))).toThrow(IppParseError);
    expect(() => decodeMessage(bytesOf(hex))).toThrow(message);
  });

  it('bounds the number of attributes, values, the value length and the nesting', () => {
    // Prepare
    const many = encodeMessage({
      version: { major: 2, minor: 0 },
      code: 0,
      requestId: 1,
      groups: [
        {
          tag: GroupTag.job,
          attributes: Array.from({ length: 50 }, (_, i) => attr(`a${i}`, ipp.integer(i))),
        },
      ],
    });
    let nested = ipp.collection([attr('leaf', ipp.integer(1))]);
    for (let i = 0; i < 12; i++) nested = ipp.collection([attr('inner', nested)]);
    const deep = encodeMessage({
      version: { major: 2, minor: 0 },
      code: 0,
      requestId: 1,
      groups: [{ tag: GroupTag.job, attributes: [attr('deep', nested)] }],
    });
    const long = encodeMessage({
      version: { major: 2, minor: 0 },
      code: 0,
      requestId: 1,
      groups: [{ tag: GroupTag.job, attributes: [attr('long', ipp.text('x'.repeat(3000)))] }],
    });
    // Act / Assess
    expect(() => decodeMessage(many, { maxAttributes: 10 })).toThrow(/more than 10 attributes/);
    expect(() => decodeMessage(many, { maxValues: 10 })).toThrow(/more than 10 values/);
    expect(() => decodeMessage(deep)).toThrow(/nested deeper than 8/);
    expect(() => decodeMessage(long, { maxValueLength: 1023 })).toThrow(/3000 octets is longer than 1023/);
    expect(decodeMessage(many).groups[0]?.attributes).toHaveLength(50);
  });
});

/** A minimal successful answer, so ipptool finishes its request. */
function okAnswer(body: Buffer): Uint8Array {
  const request = decodeMessage(body);
  return encodeMessage({
    version: { major: 2, minor: 0 },
    code: Status.successfulOk,
    requestId: request.requestId,
    groups: [
      {
        tag: GroupTag.operation,
        attributes: [
          attr('attributes-charset', ipp.charset('utf-8')),
          attr('attributes-natural-language', ipp.naturalLanguage('en')),
        ],
      },
    ],
  });
}

describe('the codec against real CUPS tools (cups-ipp-utils)', () => {
  it("decodes ipptool's Get-Printer-Attributes and re-encodes the same octets", async () => {
    // Act
    const { requests, output } = await captureIpptool(['get-printer-attributes.test'], okAnswer);
    // Assess
    expect(requests.length, output).toBeGreaterThan(0);
    const body = requests[0]?.body ?? Buffer.alloc(0);
    const request = decodeMessage(body);
    expect(request.code).toBe(Operation.getPrinterAttributes);
    const op = request.groups[0];
    expect(op?.tag).toBe(GroupTag.operation);
    expect(op?.attributes.slice(0, 2).map((a) => a.name)).toEqual([
      'attributes-charset',
      'attributes-natural-language',
    ]);
    expect(stringOf(findAttribute(op, 'printer-uri'))).toMatch(/^ipp:\/\/127\.0\.0\.1:\d+\/ipp\/print$/);
    expect(Buffer.from(encodeMessage(request)).equals(body)).toBe(true);
  });

  it("decodes ipptool's Print-Job with its document, sent chunked", async () => {
    // Prepare
    const pdf = await readFile(PDF);
    // Act
    const { requests, output } = await captureIpptool(['-f', PDF, 'print-job.test'], okAnswer);
    // Assess: the document follows the attributes byte for byte
    expect(requests.length, output).toBeGreaterThan(0);
    const { body, headers } = requests[0] ?? { body: Buffer.alloc(0), headers: {} };
    const request = decodeMessage(body);
    expect(request.code).toBe(Operation.printJob);
    expect(Buffer.from(request.data).equals(pdf)).toBe(true);
    expect(stringOf(findAttribute(findGroup(request, GroupTag.operation), 'document-format'))).toBe(
      'application/pdf',
    );
    expect(Buffer.from(encodeMessage(request)).equals(body)).toBe(true);
    expect(headers['content-type']).toBe('application/ipp');
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(headers.expect).toBe('100-continue');
  });

  it("parses ippeveprinter's full printer attributes (collections, resolutions, ranges) and re-encodes them exactly", async () => {
    // Prepare
    const printer = await startIppeveprinter(cleanups);
    const request = encodeMessage({
      version: { major: 2, minor: 0 },
      code: Operation.getPrinterAttributes,
      requestId: 9,
      groups: [
        {
          ...operationGroup(printer.uri),
          attributes: [
            ...operationGroup(printer.uri).attributes,
            attr('requested-attributes', ipp.keyword('all'), ipp.keyword('media-col-database')),
          ],
        },
      ],
    });
    // Act
    const res = await fetch(printer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/ipp' },
      body: request,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const answer = decodeMessage(bytes);
    // Assess
    expect(answer.code).toBe(Status.successfulOk);
    expect(answer.requestId).toBe(9);
    const printerGroup = findGroup(answer, GroupTag.printer);
    const mediaCol = findAttribute(printerGroup, 'media-col-database');
    expect(mediaCol?.values.length).toBeGreaterThan(1);
    expect(mediaCol?.values.every((v) => v.kind === 'collection')).toBe(true);
    expect(findAttribute(printerGroup, 'printer-resolution-supported')?.values[0]?.kind).toBe('resolution');
    expect(findAttribute(printerGroup, 'copies-supported')?.values[0]?.kind).toBe('range');
    expect(findAttribute(printerGroup, 'printer-is-accepting-jobs')?.values[0]).toEqual(ipp.boolean(true));
    expect(Buffer.from(encodeMessage(answer)).equals(Buffer.from(bytes))).toBe(true);
  });
});
