// Drives one pinned LanceDB release for the btree tests.
//   node lancedb.mjs <lancedb install dir> create <db dir> <rows> [index]
//     creates table "embeddings" (id utf8 with nulls and a duplicate, vector)
//     and, with "index", LanceDB's own BTREE on id.
//   node lancedb.mjs <lancedb install dir> optimize <db dir>
//     adds 100 rows (ids new-0 … new-99), deletes doc-10 and new-3, and runs
//     optimize (compaction, index update).
//   node lancedb.mjs <lancedb install dir> query <db dir> <ids json>
//     prints, as JSON, the index list and stats, the plan of an id filter and
//     the row ids LanceDB returns for each id (and for "null" and two ranges).
import { createRequire } from "node:module";
import path from "node:path";

const [dir, mode, dbDir, arg, extra] = process.argv.slice(2);
const require = createRequire(path.join(dir, "package.json"));
const lancedb = require("@lancedb/lancedb");

const db = await lancedb.connect(dbDir);
if (mode === "create") {
  const n = parseInt(arg, 10);
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push({ id: i % 7 === 3 ? null : `doc-${(i * 7919) % n}`, vector: [i, i + 1] });
  }
  rows.push({ id: "doc-5", vector: [0, 0] });
  const tbl = await db.createTable("embeddings", rows, { mode: "overwrite" });
  if (extra === "index") {
    await tbl.createIndex("id", { config: lancedb.Index.btree() });
  }
  console.log(JSON.stringify({ version: await tbl.version() }));
} else if (mode === "optimize") {
  // Appends rows with new ids, deletes some old ones, then lets LanceDB
  // compact and bring its indexes up to date.
  const tbl = await db.openTable("embeddings");
  const rows = [];
  for (let i = 0; i < 100; i++) rows.push({ id: `new-${i}`, vector: [i, i] });
  await tbl.add(rows);
  await tbl.delete("id = 'doc-10' OR id = 'new-3'");
  await tbl.optimize();
  console.log(JSON.stringify({ version: await tbl.version() }));
} else if (mode === "query") {
  const tbl = await db.openTable("embeddings");
  const out = { indices: [], plans: {}, results: {} };
  for (const ix of await tbl.listIndices()) {
    const st = await tbl.indexStats(ix.name);
    out.indices.push({
      name: ix.name, type: ix.indexType, columns: ix.columns,
      indexed: st ? st.numIndexedRows : null, unindexed: st ? st.numUnindexedRows : null,
    });
  }
  const filters = JSON.parse(arg).map((id) => [id, `id = '${id}'`]);
  filters.push(["null", "id IS NULL"]);
  filters.push(["range:doc-2:doc-3", "id >= 'doc-2' AND id < 'doc-3'"]);
  filters.push(["range:doc-99:", "id > 'doc-99'"]);
  for (const [id, where] of filters) {
    const rows = await tbl.query().where(where).withRowId().select(["id"]).toArray();
    out.results[id] = rows.map((r) => Number(r._rowid)).sort((a, b) => a - b);
  }
  out.plans.equal = await tbl.query().where(filters[0][1]).explainPlan();
  console.log(JSON.stringify(out));
}
