// One dataset per file (DESIGN §10): CSV with "," or ";" (Brazilian decimals "1.234,56" when ";"),
// or JSON lines. CSV columns are the contract's fields; `attributes.<name>` becomes an attribute;
// an empty cell is an absent value. Dates may also be written dd/mm/aaaa.
import Papa from "papaparse";

export const DATASETS = ["customers", "credit_limits", "serasa_queries", "orders"] as const;
export type Dataset = (typeof DATASETS)[number];
type Kind = "text" | "decimal" | "integer" | "boolean" | "date" | "datetime";

const FIELDS: Record<Dataset, Record<string, Kind>> = {
  customers: { customer_id: "text", document: "text", name: "text", segment: "text", state: "text", customer_since: "date" },
  credit_limits: { customer_id: "text", limit: "decimal", valid_from: "date", valid_until: "date" },
  serasa_queries: {
    customer_id: "text", queried_at: "datetime", score: "integer", negative_records: "integer", negative_amount: "decimal",
    protests: "integer", protests_amount: "decimal", bounced_checks: "integer", lawsuits: "integer", bankruptcy_filings: "integer",
  },
  orders: {
    order_id: "text", customer_id: "text", ordered_at: "datetime", amount: "decimal", payment_term_days: "integer",
    channel: "text", invoiced: "boolean",
  },
};
const REQUIRED: Record<Dataset, string[]> = {
  customers: ["customer_id"],
  credit_limits: ["customer_id", "limit", "valid_from"],
  serasa_queries: ["customer_id", "queried_at"],
  orders: ["order_id", "customer_id", "ordered_at", "amount"],
};
const ATTRIBUTE = /^attributes\.([a-z][a-z0-9_]{0,62})$/;

export type Item = Record<string, unknown>;

export interface ParsedFile {
  dataset: Dataset;
  items: Item[];
  lines: number[]; // the file line of each item, for error messages
  missing: string[];
  unknown: string[];
}

/** "1.234,56" (with ";" files) or "1234.56" -> 1234.56; anything else is left as text for the API to refuse. */
function decimal(text: string, brazilian: boolean): number | string {
  const normal = brazilian || text.includes(",") ? text.replace(/\./g, "").replace(",", ".") : text;
  return /^[+-]?\d+(\.\d+)?$/.test(normal.trim()) ? Number(normal) : text;
}

const DAY_FIRST = /^(\d{2})\/(\d{2})\/(\d{4})(?:[ T](\d{2}:\d{2}(?::\d{2})?))?$/;

function isoDate(text: string, kind: "date" | "datetime"): string {
  const match = DAY_FIRST.exec(text.trim());
  if (!match) return text;
  const [, day, month, year, time] = match;
  const dateText = `${year}-${month}-${day}`;
  return kind === "date" ? dateText : `${dateText}T${time ?? "00:00:00"}`;
}

function cell(kind: Kind, text: string, brazilian: boolean): unknown {
  switch (kind) {
    case "decimal":
    case "integer":
      return decimal(text, brazilian);
    case "boolean":
      return { true: true, false: false, "1": true, "0": false, sim: true, "não": false, nao: false }[text.trim().toLowerCase()] ?? text;
    case "date":
    case "datetime":
      return isoDate(text, kind);
    default:
      return text;
  }
}

/** An attribute cell: a boolean, a number, or text. */
function attribute(text: string, brazilian: boolean): unknown {
  const lower = text.trim().toLowerCase();
  if (lower === "true" || lower === "false") return lower === "true";
  const value = decimal(text, brazilian);
  return typeof value === "number" ? value : text;
}

function checkColumns(dataset: Dataset, columns: string[]): { missing: string[]; unknown: string[] } {
  return {
    missing: REQUIRED[dataset].filter((name) => !columns.includes(name)),
    unknown: columns.filter((name) => !(name in FIELDS[dataset]) && !ATTRIBUTE.test(name)),
  };
}

export function parseCsv(dataset: Dataset, text: string): ParsedFile {
  const parsed = Papa.parse<string[]>(text, { delimitersToGuess: [",", ";", "\t"], skipEmptyLines: false });
  const [header = [], ...rows] = parsed.data;
  const columns = header.map((name) => name.trim());
  const brazilian = parsed.meta.delimiter === ";";
  const items: Item[] = [];
  const lines: number[] = [];
  rows.forEach((row, index) => {
    if (row.every((value) => value.trim() === "")) return;
    const item: Item = {};
    columns.forEach((name, position) => {
      const text = row[position] ?? "";
      if (text.trim() === "") return;
      const match = ATTRIBUTE.exec(name);
      if (match) {
        const attributes = (item.attributes ??= {}) as Item;
        attributes[match[1]] = attribute(text, brazilian);
      } else {
        item[name] = cell(FIELDS[dataset][name] ?? "text", text, brazilian);
      }
    });
    items.push(item);
    lines.push(index + 2);
  });
  return { dataset, items, lines, ...checkColumns(dataset, columns) };
}

export function parseJsonLines(dataset: Dataset, text: string): ParsedFile {
  const items: Item[] = [];
  const lines: number[] = [];
  const columns = new Set<string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    let item: Item;
    try {
      item = JSON.parse(line);
    } catch {
      throw new Error(`JSON, ${index + 1}`);
    }
    Object.keys(item).forEach((name) => columns.add(name === "attributes" ? "" : name));
    items.push(item);
    lines.push(index + 1);
  });
  columns.delete("");
  const { missing, unknown } = checkColumns(dataset, [...columns]);
  // A JSON line may leave out an optional field; only fields no line has are "missing".
  return { dataset, items, lines, missing, unknown };
}

export function parseFile(dataset: Dataset, name: string, text: string): ParsedFile {
  return /\.(jsonl|ndjson|json)$/i.test(name) ? parseJsonLines(dataset, text) : parseCsv(dataset, text);
}

export const BATCH = 500;

export function batchCount(file: ParsedFile): number {
  return Math.ceil(file.items.length / BATCH);
}
