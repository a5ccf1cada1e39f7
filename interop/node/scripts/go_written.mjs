// go_written.mjs: LanceDB works on a Resona table written by the Go engine.
//
//   node go_written.mjs <lancedb-version> <dbdir> <table> <query-json> <out.json>
//
// It opens the table, counts and reads every row, runs an exact L2 search for
// the query vector, appends three rows of its own (ids "lancedb-<version>-<i>"),
// runs optimize() and counts again. Everything it saw is written to out.json so
// that the Go test can compare it with what Go wrote and then read LanceDB's
// rows back.
import { writeFileSync } from "node:fs";
import { loadLanceDB } from "./lib.mjs";

const [version, dbDir, tableName, queryJSON, outPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: go_written.mjs <version> <dbdir> <table> <query-json> <out.json>");
  process.exit(2);
}
const { lancedb, packageVersion } = loadLanceDB(version);
const db = await lancedb.connect(dbDir);
const tbl = await db.openTable(tableName);

const plain = (v) => {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "object" && typeof v.toArray === "function") return Array.from(v.toArray());
  if (ArrayBuffer.isView(v)) return Array.from(v);
  return v;
};

const out = { lancedb: packageVersion, versionBefore: await tbl.version() };
out.countBefore = await tbl.countRows();
const data = await tbl.query().toArrow();
const names = data.schema.fields.map((f) => f.name);
out.schema = data.schema.fields.map((f) => ({ name: f.name, nullable: f.nullable, type: String(f.type) }));
out.rows = [];
for (let i = 0; i < data.numRows; i++) {
  const row = {};
  for (const n of names) row[n] = plain(data.getChild(n).get(i));
  out.rows.push(row);
}

// A key lookup, which LanceDB answers with the BTREE on id when there is one.
const hit = await tbl.query().where("id IN ('doc-5', 'b3-2', 'new-1', 'doc-3', 'absent')").select(["id"]).toArrow();
out.lookup = [];
for (let i = 0; i < hit.numRows; i++) out.lookup.push(hit.getChild("id").get(i));
out.lookup.sort();

const query = Float32Array.from(JSON.parse(queryJSON));
const res = await tbl.vectorSearch(query).distanceType("l2").bypassVectorIndex().select(["id"]).limit(5).toArrow();
out.search = [];
for (let i = 0; i < res.numRows; i++) {
  out.search.push({ id: res.getChild("id").get(i), distance: res.getChild("_distance").get(i) });
}

const dim = query.length;
const appended = [];
for (let i = 0; i < 3; i++) {
  const vector = Array.from({ length: dim }, (_, j) => Math.fround(((i + 1) * 0.25) + j / 64));
  appended.push({
    id: `lancedb-${version}-${i}`, text_hash: `h${i}`, context_text: `from LanceDB ${version} #${i}`,
    model: "lancedb", dimensions: dim, metadata: i === 1 ? null : `{"i":${i}}`,
    created_at: 1.8e12 + i, updated_at: 1.8e12 + i, vector,
  });
}
await tbl.add(appended);
out.appended = appended;
out.countAfterAppend = await tbl.countRows();
await tbl.optimize();
out.countAfterOptimize = await tbl.countRows();
out.versionAfter = await tbl.version();
const after = await tbl.query().select(["id"]).toArrow();
out.idsAfter = [];
for (let i = 0; i < after.numRows; i++) out.idsAfter.push(after.getChild("id").get(i));

writeFileSync(outPath, JSON.stringify(out));
