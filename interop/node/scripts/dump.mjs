// dump.mjs <version> <dbdir> <table> <outjson> [--version N] [--vector COL --id COL]
//          [--filters '["sql", ...]']
//
// Writes, as JSON, what the pinned LanceDB <version> itself reads from a table:
// its version, the versions it lists, the row count, the schema, every row
// (an array per row in the order of `columns`, whose last is the row address
// `_rowid`; sorted by it), the index list with statistics, and exact
// (index-bypassing) vector search results for l2, cosine and dot. With
// --version N everything is read at version N (checkout). With --filters,
// each filter's count, matching row addresses and (for vector tables) a
// filtered exact search are added. <dbdir> may also be
// the table directory itself (…/<table>.lance).
//
// Values are encoded as in lib.mjs valueJSON: 64-bit integers as decimal
// strings, binary as base64, nulls as JSON null.
import { writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { loadLanceDB, parseArgs, rng, fround32, fieldJSON, tableColumns, tableRows } from "./lib.mjs";

const { pos, flags } = parseArgs(process.argv.slice(2), ["<version>", "<dbdir>", "<table>", "<outjson>"]);
let [version, dbdir, tableName, outjson] = pos;
const { lancedb, arrow, packageVersion } = loadLanceDB(version);

if (path.basename(dbdir) === `${tableName}.lance` && !existsSync(path.join(dbdir, `${tableName}.lance`))) {
  dbdir = path.dirname(dbdir);
}
const db = await lancedb.connect(dbdir);
const tbl = await db.openTable(tableName);
const latest = await tbl.version();

// Versions: LanceDB 0.39 lists them with timestamps; 0.13 has no listing,
// so each version from 1 to the latest is probed by checking it out.
let versions;
if (typeof tbl.listVersions === "function") {
  versions = (await tbl.listVersions()).map((v) => ({
    version: Number(v.version),
    timestamp_ms: v.timestamp instanceof Date ? v.timestamp.getTime() : null,
  }));
} else {
  versions = [];
  const probe = await db.openTable(tableName);
  for (let v = 1; v <= latest; v++) {
    try {
      await probe.checkout(v);
      versions.push({ version: v, timestamp_ms: null });
    } catch {
      // a version cleaned up or never written
    }
  }
}

if (flags.version !== undefined) await tbl.checkout(Number(flags.version));

const schema = await tbl.schema();
const data = await tbl.query().withRowId().toArrow();
const { columns, rows } = tableColumns(arrow, data);
const rowid = columns.indexOf("_rowid");
rows.sort((a, b) => {
  const x = BigInt(a[rowid]);
  const y = BigInt(b[rowid]);
  return x < y ? -1 : x > y ? 1 : 0;
});

const indices = [];
for (const ix of await tbl.listIndices()) {
  const stats = await tbl.indexStats(ix.name);
  indices.push({
    name: ix.name,
    index_type: ix.indexType,
    columns: ix.columns,
    stats: stats
      ? {
        num_indexed_rows: stats.numIndexedRows,
        num_unindexed_rows: stats.numUnindexedRows,
        index_type: stats.indexType,
        distance_type: stats.distanceType ?? null,
        num_indices: stats.numIndices ?? null,
      }
      : null,
  });
}

let stats = null;
if (typeof tbl.stats === "function") {
  const s = await tbl.stats();
  stats = {
    num_rows: s.numRows,
    num_indices: s.numIndices,
    num_fragments: s.fragmentStats?.numFragments ?? null,
    num_small_fragments: s.fragmentStats?.numSmallFragments ?? null,
  };
}

// Exact searches: the query vectors come from a fixed seed and are stored in
// the output, so the Go side runs the very same queries.
const searches = [];
const vectorColumn = flags.vector;
const idColumn = flags.id;
if (vectorColumn) {
  const field = schema.fields.find((f) => f.name === vectorColumn);
  if (!field) throw new Error(`no column ${vectorColumn}`);
  const dim = field.type.listSize;
  const next = rng(99);
  const queries = [];
  for (let q = 0; q < 3; q++) queries.push(Array.from({ length: dim }, () => fround32(next() * 2 - 1)));
  const k = 10;
  for (const metric of ["l2", "cosine", "dot"]) {
    for (const query of queries) {
      const res = await tbl
        .vectorSearch(Float32Array.from(query))
        .column(vectorColumn)
        .distanceType(metric)
        .bypassVectorIndex()
        .select([idColumn])
        .withRowId()
        .limit(k)
        .toArrow();
      searches.push({ metric, k, query, results: tableRows(arrow, res) });
    }
  }
}

// Indexed searches through the IVF_PQ index, when the table has one on the
// vector column: every partition probed and candidates re-ranked exactly
// (refine factor 10), l2 only (the index's metric).
const annSearches = [];
const vectorIndex = vectorColumn
  ? indices.find((ix) => ix.columns.includes(vectorColumn) && ix.index_type.toLowerCase().includes("ivf"))
  : undefined;
if (vectorIndex) {
  for (const refine of [10]) {
    for (const { query } of searches.filter((s) => s.metric === "l2")) {
      let q = tbl
        .vectorSearch(Float32Array.from(query))
        .column(vectorColumn)
        .distanceType("l2")
        .nprobes(1000)
        .select([idColumn])
        .withRowId()
        .limit(10);
      if (refine) q = q.refineFactor(refine);
      const res = await q.toArrow();
      annSearches.push({ metric: "l2", k: 10, query, nprobes: 1000, refine_factor: refine, results: tableRows(arrow, res) });
    }
  }
}

// Filters (LanceDB SQL, as package lance/expr renders them): the count,
// the addresses of the matching rows, and for vector tables an exact search
// restricted to them (a prefilter).
const filters = [];
for (const sql of flags.filters ? JSON.parse(flags.filters) : []) {
  const entry = { sql, count: await tbl.countRows(sql) };
  const first = schema.fields[0].name;
  const hit = await tbl.query().where(sql).select([first]).withRowId().toArrow();
  const rid = hit.getChild("_rowid");
  entry.rowids = [];
  for (let i = 0; i < hit.numRows; i++) entry.rowids.push(rid.get(i).toString());
  if (vectorColumn) {
    const query = searches[0].query;
    const res = await tbl
      .vectorSearch(Float32Array.from(query))
      .column(vectorColumn)
      .distanceType("l2")
      .bypassVectorIndex()
      .where(sql)
      .select([idColumn])
      .withRowId()
      .limit(10)
      .toArrow();
    entry.search = { metric: "l2", k: 10, query, results: tableRows(arrow, res) };
  }
  filters.push(entry);
}

const out = {
  lancedb: packageVersion,
  table: tableName,
  latest_version: latest,
  version: await tbl.version(),
  versions,
  count_rows: await tbl.countRows(),
  schema: schema.fields.map((f) => fieldJSON(arrow, f)),
  columns,
  rows,
  indices,
  stats,
  searches,
  ann_searches: annSearches,
  filters,
};
writeFileSync(outjson, JSON.stringify(out));
