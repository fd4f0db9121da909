/**
 * CSV as RFC 4180 writes it: fields split by a delimiter, records by CRLF or LF (a lone CR
 * too), quoted fields may hold delimiters, line breaks and doubled quotes. Spreadsheet
 * exports are not always that tidy, so a stray quote inside an unquoted field is taken as
 * text rather than failing the file. One pass, linear in the input (no regex per field,
 * no look-ahead search that could rescan the rest of a 20 MB file per field).
 */

export interface CsvRecord {
  /** 1-based, counting the header and blank lines: the row number a spreadsheet shows. */
  row: number;
  fields: string[];
  /** Set when the record is malformed (an unterminated quote swallows the rest of the file). */
  error?: string;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** The header's most frequent separator outside quotes: comma, semicolon (European Excel) or tab. */
export function sniffDelimiter(text: string): string {
  const counts = { ",": 0, ";": 0, "\t": 0 };
  let quoted = false;
  for (let i = 0; i < text.length && i < 64 * 1024; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && ch in counts) counts[ch as keyof typeof counts]++;
  }
  let best = ",";
  for (const d of [";", "\t"] as const) if (counts[d] > counts[best as keyof typeof counts]) best = d;
  return best;
}

/**
 * Records of `text`, blank lines skipped (their row numbers still counted). Stops after
 * `maxRecords` records and says so, so a caller can refuse the file without parsing all of it.
 */
export function parseCsv(
  text: string,
  delimiter: string,
  maxRecords: number,
): { records: CsvRecord[]; truncated: boolean } {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  const records: CsvRecord[] = [];
  let i = 0;
  let row = 0;
  while (i < n) {
    row++;
    const fields: string[] = [];
    let error: string | undefined;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        value = "";
        let j = i + 1;
        for (;;) {
          const q = text.indexOf('"', j);
          if (q === -1) {
            error = "a quoted field is not closed (it runs to the end of the file)";
            value += text.slice(j);
            i = n;
            break;
          }
          value += text.slice(j, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        // Text after the closing quote (`"a"b`) is kept as it is, up to the next separator.
        const end = stop(text, i, delim);
        value += text.slice(i, end);
        i = end;
      } else {
        const end = stop(text, i, delim);
        value = text.slice(i, end);
        i = end;
      }
      fields.push(value);
      if (i < n && text.charCodeAt(i) === delim) {
        i++;
        if (i < n) continue;
        fields.push("");
      }
      break;
    }
    if (text.charCodeAt(i) === CR) i++;
    if (text.charCodeAt(i) === LF) i++;
    if (fields.length === 1 && fields[0] === "" && !error) continue;
    if (records.length === maxRecords) return { records, truncated: true };
    records.push(error ? { row, fields, error } : { row, fields });
  }
  return { records, truncated: false };
}

/** Index of the next delimiter or line break at or after `i` (or the end). */
function stop(text: string, i: number, delim: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === delim || c === LF || c === CR) return i;
    i++;
  }
  return n;
}
