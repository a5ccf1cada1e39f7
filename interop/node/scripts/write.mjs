// write.mjs <version> <outdir> <scenario>
//
// Writes one LanceDB table with a realistic history into the database
// directory <outdir> using the pinned LanceDB <version> (0.13 or 0.39), and
// prints a JSON summary: the table name and directory, the latest version, an
// older version worth checking out, the operations with the version each one
// produced, and the expectations the history implies.
//
// Scenarios:
//   resona            the Resona embeddings table: create, 40 small appends,
//                     deletes by id, merge-insert upserts, a BTREE index on id,
//                     an IVF_PQ index on vector, then unindexed appends
//   resona-optimized  the same followed by optimize()
//   types             one column per Arrow type, each with no, some and all
//                     nulls, low-cardinality and empty strings, columns spanning
//                     several pages
//   deletes           a > 5000-row delete (roaring .bin deletion file), small
//                     deletes (.arrow files) and a fragment deleted entirely
//   legacy            150 rows in the legacy (0.1) file format
//   wide              1024-dimensional vectors (the page layout real
//                     embeddings get: full-zip in format 2.2), appends and
//                     deletes
//
// All data comes from seeded PRNGs, so a run is reproducible.
import { mkdirSync } from "node:fs";
import { loadLanceDB, parseArgs, rng, fround32 } from "./lib.mjs";

const { pos } = parseArgs(process.argv.slice(2), ["<version>", "<outdir>", "<scenario>"]);
const [version, outdir, scenario] = pos;
const { lancedb, arrow, packageVersion } = loadLanceDB(version);

// makeTable builds an Arrow table whose fields are all nullable, as LanceDB
// infers them, from column specs {name, type, values}. With batchRows the
// table is cut into record batches of that many rows: LanceDB's writer
// closes pages only between the batches it receives, so many batches make
// the larger columns span several pages.
function makeTable(columns, batchRows) {
  const fields = columns.map((c) => new arrow.Field(c.name, c.type, true));
  const schema = new arrow.Schema(fields);
  const length = columns[0].values.length;
  const step = batchRows || length;
  const batches = [];
  for (let start = 0; start < length; start += step) {
    const end = Math.min(length, start + step);
    const children = columns.map((c) => {
      const v = arrow.vectorFromArray(c.values.slice(start, end), c.type);
      if (v.data.length !== 1) throw new Error(`column ${c.name}: ${v.data.length} chunks`);
      return padFixedSizeList(v.data[0]);
    });
    const data = arrow.makeData({ type: new arrow.Struct(fields), length: end - start, nullCount: 0, children });
    batches.push(new arrow.RecordBatch(schema, data));
  }
  return new arrow.Table(batches);
}

// apache-arrow's builder leaves the child of an all-null fixed-size list
// empty, which LanceDB rejects; give it length × size null items.
function padFixedSizeList(data) {
  if (data.type.typeId !== arrow.Type.FixedSizeList) return data;
  const want = data.length * data.type.listSize;
  if (data.children[0].length >= want) return data;
  const items = arrow.vectorFromArray(new Array(want).fill(null), data.type.children[0].type);
  return arrow.makeData({
    type: data.type,
    length: data.length,
    nullCount: data.nullCount,
    nullBitmap: data.nullBitmap,
    child: items.data[0],
  });
}

const ops = [];
async function step(tbl, op, fn) {
  await fn();
  const v = await tbl.version();
  ops.push({ op, version: v });
  return v;
}

function hex(next, n) {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
  return s;
}

// ---------------------------------------------------------------- resona

const RESONA_DIM = 32;
const MODELS = ["nomic-embed-text", "text-embedding-3-small", "voyage-3-lite"];
const WORDS = ["lance", "vector", "fragment", "manifest", "column", "page", "index", "query",
  "résumé", "naïve", "日本語", "emoji 🎉", "delta", "row", "schema", "search"];

function resonaRows(next, ids, stamp) {
  const cols = {
    id: [], text_hash: [], context_text: [], model: [], dimensions: [], metadata: [],
    created_at: [], updated_at: [], vector: [],
  };
  for (const id of ids) {
    const n = Number(id.slice(4, 9));
    cols.id.push(id);
    cols.text_hash.push(hex(next, 64));
    const words = [];
    const wc = Math.floor(next() * 30);
    for (let w = 0; w < wc; w++) words.push(WORDS[Math.floor(next() * WORDS.length)]);
    cols.context_text.push(n % 37 === 5 ? null : n % 41 === 7 ? "" : words.join(" "));
    cols.model.push(n % 53 === 11 ? null : MODELS[n % MODELS.length]);
    cols.dimensions.push(RESONA_DIM);
    cols.metadata.push(n % 3 === 0 ? "" : JSON.stringify({ source: `file-${n % 17}.md`, chunk: n % 4, stamp }));
    cols.created_at.push(1.7e12 + n * 1000.5);
    cols.updated_at.push(n % 29 === 3 ? null : 1.7e12 + n * 1000.5 + stamp * 60000);
    const vec = [];
    for (let d = 0; d < RESONA_DIM; d++) vec.push(fround32(next() * 2 - 1));
    cols.vector.push(vec);
  }
  const f32 = new arrow.Float32();
  return makeTable([
    { name: "id", type: new arrow.Utf8(), values: cols.id },
    { name: "text_hash", type: new arrow.Utf8(), values: cols.text_hash },
    { name: "context_text", type: new arrow.Utf8(), values: cols.context_text },
    { name: "model", type: new arrow.Utf8(), values: cols.model },
    { name: "dimensions", type: new arrow.Float64(), values: cols.dimensions },
    { name: "metadata", type: new arrow.Utf8(), values: cols.metadata },
    { name: "created_at", type: new arrow.Float64(), values: cols.created_at },
    { name: "updated_at", type: new arrow.Float64(), values: cols.updated_at },
    {
      name: "vector",
      type: new arrow.FixedSizeList(RESONA_DIM, new arrow.Field("item", f32, true)),
      values: cols.vector,
    },
  ]);
}

// Ids look like Resona's: a base id, with a #chunk suffix for chunked texts.
function resonaId(n) {
  const base = `doc-${String(n).padStart(5, "0")}`;
  return n % 10 === 9 ? `${base}#${n % 3}` : base;
}
function idRange(from, count) {
  const out = [];
  for (let i = from; i < from + count; i++) out.push(resonaId(i));
  return out;
}
const sqlList = (ids) => ids.map((id) => `'${id}'`).join(", ");

async function writeResona(db, optimize) {
  const next = rng(optimize ? 4242 : 4141);
  const name = "embeddings";
  let stamp = 0;
  const tbl = await db.createTable(name, resonaRows(next, idRange(0, 100), stamp));
  ops.push({ op: "create", version: await tbl.version() });
  let n = 100;
  for (let i = 0; i < 40; i++) {
    stamp++;
    await step(tbl, "append", () => tbl.add(resonaRows(next, idRange(n, 25), stamp)));
    n += 25;
  }
  const deleted = [resonaId(3), resonaId(50), resonaId(51), resonaId(777), resonaId(1001)];
  const older = await step(tbl, "delete", () => tbl.delete(`id IN (${sqlList(deleted)})`));
  // Upsert: 15 existing ids get new rows, 15 new ids are inserted.
  const upsert = () => {
    stamp++;
    const ids = [...idRange(200 + stamp, 15), ...idRange(n, 15)];
    n += 15;
    return tbl
      .mergeInsert("id")
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute(resonaRows(next, ids, stamp));
  };
  await step(tbl, "merge_insert", upsert);
  for (let i = 0; i < 4; i++) {
    stamp++;
    await step(tbl, "append", () => tbl.add(resonaRows(next, idRange(n, 25), stamp)));
    n += 25;
  }
  await step(tbl, "create_index btree id", () =>
    tbl.createIndex("id", { config: lancedb.Index.btree() }));
  await step(tbl, "create_index ivf_pq vector", () =>
    tbl.createIndex("vector", {
      config: lancedb.Index.ivfPq({ numPartitions: 4, numSubVectors: 4, distanceType: "l2", maxIterations: 10 }),
    }));
  for (let i = 0; i < 5; i++) {
    stamp++;
    await step(tbl, "append", () => tbl.add(resonaRows(next, idRange(n, 20), stamp)));
    n += 20;
  }
  await step(tbl, "delete", () => tbl.delete(`id IN (${sqlList([resonaId(12), resonaId(n - 3)])})`));
  await step(tbl, "merge_insert", upsert);
  if (optimize) {
    await step(tbl, "optimize", () => tbl.optimize());
  }
  return { name, older, vectorColumn: "vector", idColumn: "id" };
}

// ---------------------------------------------------------------- types

const TYPES_ROWS = [8000, 4000];

function typeSpecs() {
  const L = (t) => new arrow.Field("item", t, true);
  const S = [
    "", "a", "lance", "ß-ü-é", "日本語テキスト", "emoji 🎉🎉", "long ".repeat(12),
  ];
  const str = (next, i) => (i % 10 === 0 ? "" : S[Math.floor(next() * S.length)] + i);
  const int = (bits, signed) => (next) => {
    const span = 2 ** bits;
    const u = Math.floor(next() * span);
    return signed ? u - span / 2 : u;
  };
  const big = (signed) => (next) => {
    const hi = BigInt(Math.floor(next() * 2 ** 32));
    const lo = BigInt(Math.floor(next() * 2 ** 32));
    const u = (hi << 32n) | lo;
    return signed ? BigInt.asIntN(64, u) : u;
  };
  const bytes = (next, max) => {
    const n = Math.floor(next() * max);
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = Math.floor(next() * 256);
    return b;
  };
  return [
    { name: "utf8", type: () => new arrow.Utf8(), gen: str },
    { name: "large_utf8", type: () => new arrow.LargeUtf8(), gen: str },
    { name: "binary", type: () => new arrow.Binary(), gen: (next) => bytes(next, 40) },
    { name: "bool", type: () => new arrow.Bool(), gen: (next) => next() < 0.5 },
    { name: "int8", type: () => new arrow.Int8(), gen: int(8, true) },
    { name: "int16", type: () => new arrow.Int16(), gen: int(16, true) },
    { name: "int32", type: () => new arrow.Int32(), gen: int(32, true) },
    { name: "int64", type: () => new arrow.Int64(), gen: big(true) },
    { name: "uint8", type: () => new arrow.Uint8(), gen: int(8, false) },
    { name: "uint16", type: () => new arrow.Uint16(), gen: int(16, false) },
    { name: "uint32", type: () => new arrow.Uint32(), gen: int(32, false) },
    { name: "uint64", type: () => new arrow.Uint64(), gen: big(false) },
    { name: "float32", type: () => new arrow.Float32(), gen: (next) => fround32((next() - 0.5) * 1e6) },
    { name: "float64", type: () => new arrow.Float64(), gen: (next) => (next() - 0.5) * 1e12 },
    {
      name: "fsl_f32_8",
      type: () => new arrow.FixedSizeList(8, L(new arrow.Float32())),
      gen: (next) => Array.from({ length: 8 }, () => fround32(next() * 2 - 1)),
    },
    {
      name: "list_i32",
      type: () => new arrow.List(L(new arrow.Int32())),
      gen: (next) => Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * 2000) - 1000),
    },
    {
      name: "list_utf8",
      type: () => new arrow.List(L(new arrow.Utf8())),
      gen: (next, i) => Array.from({ length: Math.floor(next() * 4) }, (_, k) => str(next, i + k)),
    },
    {
      name: "struct",
      type: () => new arrow.Struct([
        new arrow.Field("a", new arrow.Int32(), true),
        new arrow.Field("b", new arrow.Utf8(), true),
      ]),
      gen: (next, i) => ({ a: i % 5 === 1 ? null : Math.floor(next() * 1e6), b: i % 7 === 2 ? null : str(next, i) }),
    },
  ];
}

// Null patterns: "none" never null, "some" random nulls plus one long null
// run, "all" every value null.
function isNull(pattern, next, i) {
  if (pattern === "none") return false;
  if (pattern === "all") return true;
  return next() < 0.2 || (i % 5000 >= 1200 && i % 5000 < 1500);
}

function typesTable(seed, offset, rows) {
  const next = rng(seed);
  const columns = [{ name: "row", type: new arrow.Int64(), values: [] }];
  const gens = [];
  for (const spec of typeSpecs()) {
    for (const pattern of ["none", "some", "all"]) {
      const c = { name: `${spec.name}_${pattern}`, type: spec.type(), values: [] };
      columns.push(c);
      gens.push({ c, spec, pattern });
    }
  }
  const DICT = ["red", "green", "blue", "cyan", "magenta", "yellow", "black", "white", "", "grey"];
  const dict = { name: "dict_utf8", type: new arrow.Utf8(), values: [] };
  const text = { name: "big_utf8", type: new arrow.Utf8(), values: [] };
  const blob = { name: "big_binary", type: new arrow.Binary(), values: [] };
  columns.push(dict, text, blob);
  for (let r = 0; r < rows; r++) {
    const i = offset + r;
    columns[0].values.push(BigInt(i));
    for (const { c, spec, pattern } of gens) {
      const nul = isNull(pattern, next, i);
      const v = spec.gen(next, i);
      // apache-arrow's IPC writer sends an all-null bool column without a
      // values buffer, which LanceDB rejects; writeTypes nulls it by update.
      if (nul && spec.name === "bool" && pattern === "all") c.values.push(false);
      else c.values.push(nul ? null : v);
    }
    dict.values.push(i % 13 === 0 ? null : DICT[Math.floor(next() * DICT.length)]);
    const tl = Math.floor(next() * 600);
    text.values.push(i % 17 === 0 ? null : `${i}:` + "abcdefghijklmnopqrstuvwxyz".repeat(40).slice(0, tl));
    const bl = Math.floor(next() * 800);
    const b = new Uint8Array(bl);
    for (let k = 0; k < bl; k++) b[k] = (i * 31 + k * 7) & 0xff;
    blob.values.push(i % 19 === 0 ? null : b);
  }
  return makeTable(columns, 500);
}

async function writeTypes(db) {
  const name = "types";
  const tbl = await db.createTable(name, typesTable(777, 0, TYPES_ROWS[0]));
  ops.push({ op: "create", version: await tbl.version() });
  const older = await step(tbl, "append", () => tbl.add(typesTable(778, TYPES_ROWS[0], TYPES_ROWS[1])));
  await step(tbl, "update bool_all", () => tbl.update({ bool_all: "CAST(NULL AS BOOLEAN)" }));
  return { name, older };
}

// ---------------------------------------------------------------- deletes

const DEL_DIM = 8;

function deletesTable(seed, from, count, dim = DEL_DIM) {
  const next = rng(seed);
  const ids = [];
  const vals = [];
  const labels = [];
  const vecs = [];
  for (let i = from; i < from + count; i++) {
    ids.push(BigInt(i));
    vals.push(i * 0.25);
    labels.push(`label-${i % 7}`);
    vecs.push(Array.from({ length: dim }, () => fround32(next() * 2 - 1)));
  }
  return makeTable([
    { name: "id", type: new arrow.Int64(), values: ids },
    { name: "val", type: new arrow.Float64(), values: vals },
    { name: "label", type: new arrow.Utf8(), values: labels },
    {
      name: "vector",
      type: new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true)),
      values: vecs,
    },
  ]);
}

async function writeDeletes(db) {
  const name = "deletes";
  const tbl = await db.createTable(name, deletesTable(1, 0, 20000));
  ops.push({ op: "create", version: await tbl.version() });
  await step(tbl, "append", () => tbl.add(deletesTable(2, 20000, 1000)));
  // 6000 rows of fragment 0: more than 5000, so a roaring bitmap (.bin).
  const older = await step(tbl, "delete", () => tbl.delete("id >= 1000 AND id < 7000"));
  // A few rows of fragment 1: an Arrow (.arrow) deletion file.
  await step(tbl, "delete", () => tbl.delete("id IN (20003, 20010, 20500)"));
  // One more row of fragment 0: the bitmap file is rewritten merged.
  await step(tbl, "delete", () => tbl.delete("id = 15"));
  await step(tbl, "append", () => tbl.add(deletesTable(3, 30000, 10)));
  // Every row of the last fragment: LanceDB drops the fragment.
  await step(tbl, "delete", () => tbl.delete("id >= 30000"));
  await step(tbl, "delete", () => tbl.delete("id >= 20000 AND id < 21000 AND id % 97 = 0"));
  return { name, older, vectorColumn: "vector", idColumn: "id" };
}

// ---------------------------------------------------------------- wide

const WIDE_DIM = 1024;

async function writeWide(db) {
  const name = "wide";
  const tbl = await db.createTable(name, deletesTable(11, 0, 1200, WIDE_DIM));
  ops.push({ op: "create", version: await tbl.version() });
  const older = await step(tbl, "append", () => tbl.add(deletesTable(12, 1200, 300, WIDE_DIM)));
  await step(tbl, "delete", () => tbl.delete("id % 50 = 7 OR id IN (1200, 1499)"));
  await step(tbl, "append", () => tbl.add(deletesTable(13, 2000, 100, WIDE_DIM)));
  return { name, older, vectorColumn: "vector", idColumn: "id" };
}

// ---------------------------------------------------------------- legacy

// The pre-2.0 ("legacy", 0.1) file format, which LanceDB wrote by default
// before 0.10 and still writes on request.
async function writeLegacy(db) {
  const name = "legacy";
  const options = version === "0.13" ? { useLegacyFormat: true } : { dataStorageVersion: "legacy" };
  const tbl = await db.createTable(name, deletesTable(5, 0, 100), options);
  const older = await tbl.version();
  ops.push({ op: "create", version: older });
  await step(tbl, "append", () => tbl.add(deletesTable(6, 100, 50)));
  return { name, older };
}

// ---------------------------------------------------------------- main

const writers = {
  resona: (db) => writeResona(db, false),
  "resona-optimized": (db) => writeResona(db, true),
  types: writeTypes,
  deletes: writeDeletes,
  legacy: writeLegacy,
  wide: writeWide,
};
if (!writers[scenario]) {
  console.error(`unknown scenario ${scenario}; want one of ${Object.keys(writers).join(", ")}`);
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
const db = await lancedb.connect(outdir);
const info = await writers[scenario](db);
const tbl = await db.openTable(info.name);
const summary = {
  lancedb: packageVersion,
  scenario,
  table: info.name,
  tableDir: `${outdir}/${info.name}.lance`,
  latestVersion: await tbl.version(),
  olderVersion: info.older,
  vectorColumn: info.vectorColumn ?? null,
  idColumn: info.idColumn ?? null,
  ops,
};
process.stdout.write(JSON.stringify(summary) + "\n");
