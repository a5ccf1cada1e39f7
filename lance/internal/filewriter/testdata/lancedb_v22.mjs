// lancedb_v22.mjs <harness-node-dir> <version> <dbdir> <table> <op> [args]
//
// Drives the pinned LanceDB of the interop harness for the 2.1/2.2 writer
// tests and prints a JSON summary.
//
//   create <rows.json> <dim>   create <table> from rows {id, text_hash,
//                              context_text, model, dimensions, metadata,
//                              created_at, updated_at, vector} (nulls allowed)
//   index-search <query.json>  build an IVF_PQ index on vector (4 partitions)
//                              and return the ids of an ANN search for the
//                              query vector and of an id filter
//   append-optimize <n>        append a copy of the first n rows, then
//                              optimize() (compaction of the fragments)
import path from "node:path";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [harness, version, dbdir, table, op, ...args] = process.argv.slice(2);
const { loadLanceDB } = await import(pathToFileURL(path.join(harness, "scripts", "lib.mjs")).href);
const { lancedb, arrow } = loadLanceDB(version);
const db = await lancedb.connect(dbdir);

function resonaSchema(dim) {
  const utf8 = new arrow.Utf8();
  const f64 = new arrow.Float64();
  const fields = [
    new arrow.Field("id", utf8, true),
    new arrow.Field("text_hash", utf8, true),
    new arrow.Field("context_text", utf8, true),
    new arrow.Field("model", utf8, true),
    new arrow.Field("dimensions", f64, true),
    new arrow.Field("metadata", utf8, true),
    new arrow.Field("created_at", f64, true),
    new arrow.Field("updated_at", f64, true),
    new arrow.Field("vector", new arrow.FixedSizeList(dim, new arrow.Field("item", new arrow.Float32(), true)), true),
  ];
  return new arrow.Schema(fields);
}

let out = {};
if (op === "create") {
  const rows = JSON.parse(readFileSync(args[0], "utf8"));
  const schema = resonaSchema(Number(args[1]));
  const tbl = await db.createTable(table, lancedb.makeArrowTable(rows, { schema }));
  out = { version: await tbl.version(), count: await tbl.countRows() };
} else if (op === "index-search") {
  const tbl = await db.openTable(table);
  const query = JSON.parse(readFileSync(args[0], "utf8"));
  await tbl.createIndex("vector", {
    config: lancedb.Index.ivfPq({ numPartitions: 4, numSubVectors: 16, distanceType: "l2" }),
  });
  const ann = await tbl.vectorSearch(Float32Array.from(query)).column("vector").nprobes(4).refineFactor(10)
    .select(["id"]).limit(5).toArray();
  const filtered = await tbl.query().where("id = 'doc-600#0'").select(["id", "created_at"]).toArray();
  out = {
    version: await tbl.version(),
    indices: (await tbl.listIndices()).map((i) => i.name),
    ann: ann.map((r) => r.id),
    filtered: filtered.map((r) => [r.id, r.created_at]),
  };
} else if (op === "append-optimize") {
  const tbl = await db.openTable(table);
  const head = await tbl.query().limit(Number(args[0])).toArrow();
  await tbl.add(head);
  const appended = await tbl.version();
  const stats = await tbl.optimize();
  out = {
    appended_version: appended,
    version: await tbl.version(),
    count: await tbl.countRows(),
    fragments_removed: stats.compaction.fragmentsRemoved,
    fragments_added: stats.compaction.fragmentsAdded,
  };
} else {
  throw new Error(`unknown op ${op}`);
}
console.log(JSON.stringify(out));
