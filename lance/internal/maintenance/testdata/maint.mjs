// maint.mjs <nodeDir> <version> <command> <dbDir> [args]
//
// Drives a pinned LanceDB (<nodeDir>/lancedb-<version>) for the maintenance
// interop test, on table "embeddings" of the database <dbDir>. Row i has
// id "row-i", text "text i", n = i and vector[k] = i/4 + k, so the Go test
// can check every value without a dump. Commands print one JSON object:
//
//   write               create the table from rows 0..9, append rows 10..299
//                       in batches of 10 (one fragment each), then delete
//                       every row with i % 7 == 0
//   read                every row, sorted by n, and the version
//   append-optimize S N append rows S..S+N-1, run optimize() (compaction and
//                       cleanup of versions older than now), print its stats
//   index S N           create a BTREE index "id_idx" on id, then append rows
//                       S..S+N-1 in batches of 10 (unindexed fragments)
//   index-stats ID      LanceDB's statistics of id_idx, and the rows a
//                       filter id = ID returns (through the index)
import { createRequire } from "node:module";
import path from "node:path";

const [nodeDir, version, command, dbDir, ...args] = process.argv.slice(2);
const require = createRequire(path.join(nodeDir, `lancedb-${version}`, "package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const DIM = 8;
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Utf8(), true),
  new arrow.Field("text", new arrow.Utf8(), true),
  new arrow.Field("n", new arrow.Float64(), true),
  new arrow.Field("vector", new arrow.FixedSizeList(DIM, new arrow.Field("item", new arrow.Float32(), true)), true),
]);

function rows(start, count) {
  const out = [];
  for (let i = start; i < start + count; i++) {
    const vector = [];
    for (let k = 0; k < DIM; k++) vector.push(i / 4 + k);
    out.push({ id: `row-${i}`, text: `text ${i}`, n: i, vector });
  }
  return out;
}

function batch(start, count) {
  return makeTable(rows(start, count));
}

function makeTable(data) {
  const cols = {
    id: arrow.vectorFromArray(data.map((r) => r.id), new arrow.Utf8()),
    text: arrow.vectorFromArray(data.map((r) => r.text), new arrow.Utf8()),
    n: arrow.vectorFromArray(data.map((r) => r.n), new arrow.Float64()),
    vector: arrow.vectorFromArray(data.map((r) => r.vector), schema.fields[3].type),
  };
  const children = schema.fields.map((f) => cols[f.name].data[0]);
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: data.length, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}

async function readAll(tbl) {
  const res = await tbl.query().toArray();
  const out = res.map((r) => ({
    id: r.id, text: r.text, n: r.n,
    vector: Array.from(r.vector.toArray ? r.vector.toArray() : r.vector),
  }));
  out.sort((a, b) => a.n - b.n);
  return out;
}

const db = await lancedb.connect(path.resolve(dbDir));
let result;
switch (command) {
  case "write": {
    const tbl = await db.createTable("embeddings", batch(0, 10));
    for (let s = 10; s < 300; s += 10) await tbl.add(batch(s, 10));
    const dead = [];
    for (let i = 0; i < 300; i += 7) dead.push(`'row-${i}'`);
    await tbl.delete(`id IN (${dead.join(",")})`);
    result = { version: await tbl.version(), count: await tbl.countRows() };
    break;
  }
  case "read": {
    const tbl = await db.openTable("embeddings");
    result = { version: await tbl.version(), count: await tbl.countRows(), rows: await readAll(tbl) };
    break;
  }
  case "append-optimize": {
    const tbl = await db.openTable("embeddings");
    const [s, n] = args.map(Number);
    await tbl.add(batch(s, n));
    const stats = await tbl.optimize({ cleanupOlderThan: new Date() });
    result = { version: await tbl.version(), count: await tbl.countRows(), stats };
    break;
  }
  case "index": {
    const tbl = await db.openTable("embeddings");
    await tbl.createIndex("id", { config: lancedb.Index.btree() });
    const [s, n] = args.map(Number);
    for (let i = s; i < s + n; i += 10) await tbl.add(batch(i, Math.min(10, s + n - i)));
    result = { version: await tbl.version(), count: await tbl.countRows() };
    break;
  }
  case "index-stats": {
    const tbl = await db.openTable("embeddings");
    const found = await tbl.query().where(`id = '${args[0]}'`).toArray();
    result = {
      version: await tbl.version(),
      count: await tbl.countRows(),
      stats: await tbl.indexStats("id_idx"),
      rows: found.map((r) => ({ id: r.id, text: r.text, n: r.n, vector: Array.from(r.vector.toArray ? r.vector.toArray() : r.vector) })),
    };
    break;
  }
  default:
    throw new Error(`unknown command ${command}`);
}
process.stdout.write(JSON.stringify(result, (k, v) => (typeof v === "bigint" ? Number(v) : v)) + "\n");
