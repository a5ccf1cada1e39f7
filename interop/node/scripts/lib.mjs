// Shared pieces of the interop scripts: loading a pinned LanceDB by version,
// a seeded PRNG, and a stable JSON encoding of Arrow values.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export const VERSIONS = ["0.13", "0.39"];

// loadLanceDB resolves @lancedb/lancedb and apache-arrow from the folder of
// one pinned version, so that both come from the same install and LanceDB
// accepts the Arrow objects built here.
export function loadLanceDB(version) {
  if (!VERSIONS.includes(version)) {
    throw new Error(`unknown LanceDB version ${version}; want one of ${VERSIONS.join(", ")}`);
  }
  const dir = path.join(here, "..", `lancedb-${version}`);
  if (!existsSync(path.join(dir, "node_modules", "@lancedb", "lancedb"))) {
    throw new Error(`LanceDB ${version} is not installed in ${dir}: run \`make interop-deps\``);
  }
  const require = createRequire(path.join(dir, "package.json"));
  const lancedb = require("@lancedb/lancedb");
  const arrow = require("apache-arrow");
  const pkg = JSON.parse(
    readFileSync(path.join(dir, "node_modules", "@lancedb", "lancedb", "package.json"), "utf8"));
  return { lancedb, arrow, packageVersion: pkg.version };
}

// mulberry32: a small seeded PRNG; every table is a pure function of its seed.
export function rng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// fround32 keeps generated floats exactly representable as float32, so the
// value LanceDB stores equals the value the generator produced.
export const fround32 = Math.fround;

// typeName spells an Arrow type the same way for both apache-arrow versions;
// the Go side maps its own types to these names.
export function typeName(arrow, t) {
  const T = arrow.Type;
  switch (t.typeId) {
    case T.Utf8: return "utf8";
    case T.LargeUtf8: return "large_utf8";
    case T.Binary: return "binary";
    case T.LargeBinary: return "large_binary";
    case T.Bool: return "bool";
    case T.Null: return "null";
    case T.Int:
      return `${t.isSigned ? "int" : "uint"}${t.bitWidth}`;
    case T.Float: {
      const bits = { 0: 16, 1: 32, 2: 64 }[t.precision];
      return `float${bits}`;
    }
    case T.FixedSizeList:
      return `fixed_size_list<${typeName(arrow, t.children[0].type)}>[${t.listSize}]`;
    case T.List:
      return `list<${typeName(arrow, t.children[0].type)}>`;
    case T.LargeList:
      return `large_list<${typeName(arrow, t.children[0].type)}>`;
    case T.Struct:
      return `struct<${t.children.map((c) => `${c.name}:${typeName(arrow, c.type)}`).join(",")}>`;
    case T.Dictionary:
      return typeName(arrow, t.dictionary);
    case T.Timestamp:
      return `timestamp[${t.unit}]`;
    default:
      return `unknown(${String(t)})`;
  }
}

// fieldJSON describes a field: name, type name, nullability and children.
export function fieldJSON(arrow, f) {
  const out = { name: f.name, type: typeName(arrow, f.type), nullable: f.nullable };
  if (f.type.children && f.type.children.length > 0) {
    out.children = f.type.children.map((c) => fieldJSON(arrow, c));
  }
  return out;
}

// valueJSON encodes one Arrow value: null stays null, 64-bit integers become
// decimal strings (JSON numbers would lose precision), binary becomes base64,
// non-finite floats become "NaN"/"Infinity"/"-Infinity", lists become arrays
// and structs objects keyed by child name.
export function valueJSON(arrow, t, v) {
  if (v === null || v === undefined) return null;
  const T = arrow.Type;
  switch (t.typeId) {
    case T.Dictionary:
      return valueJSON(arrow, t.dictionary, v);
    case T.Int:
      return typeof v === "bigint" ? v.toString() : t.bitWidth === 64 ? String(v) : v;
    case T.Float:
      if (Number.isNaN(v)) return "NaN";
      if (v === Infinity) return "Infinity";
      if (v === -Infinity) return "-Infinity";
      return v;
    case T.Binary:
    case T.LargeBinary:
      return Buffer.from(v).toString("base64");
    case T.FixedSizeList:
    case T.List:
    case T.LargeList: {
      const child = t.children[0].type;
      const out = [];
      for (let i = 0; i < v.length; i++) out.push(valueJSON(arrow, child, v.get(i)));
      return out;
    }
    case T.Struct: {
      const out = {};
      for (const c of t.children) out[c.name] = valueJSON(arrow, c.type, v[c.name]);
      return out;
    }
    default:
      return v;
  }
}

// tableColumns returns the column names of an Arrow table and its rows as
// arrays of valueJSON values in that column order (compact for big dumps).
export function tableColumns(arrow, table) {
  const fields = table.schema.fields;
  const vecs = fields.map((f, i) => table.getChildAt(i));
  const rows = [];
  for (let r = 0; r < table.numRows; r++) {
    rows.push(fields.map((f, i) => valueJSON(arrow, f.type, vecs[i].get(r))));
  }
  return { columns: fields.map((f) => f.name), rows };
}

// tableRows turns an Arrow table into row objects with valueJSON values.
export function tableRows(arrow, table) {
  const cols = table.schema.fields.map((f, i) => ({ f, vec: table.getChildAt(i) }));
  const rows = [];
  for (let r = 0; r < table.numRows; r++) {
    const row = {};
    for (const { f, vec } of cols) row[f.name] = valueJSON(arrow, f.type, vec.get(r));
    rows.push(row);
  }
  return rows;
}

export function parseArgs(argv, usage) {
  const pos = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) {
      flags[argv[i].slice(2)] = argv[i + 1];
      i++;
    } else {
      pos.push(argv[i]);
    }
  }
  if (pos.length < usage.length) {
    console.error(`usage: ${usage.join(" ")}`);
    process.exit(2);
  }
  return { pos, flags };
}
