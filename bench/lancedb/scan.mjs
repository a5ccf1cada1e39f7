// Full scan and exact search on an existing table, for comparing read paths
// of LanceDB and resona-bench --open on the very same files.
//
// Usage: node scan.mjs DBDIR TABLE DATADIR D [LABEL]
//   DBDIR/TABLE.lance is the table (written by either engine). The scan reads
//   every row and column; scan_gbps divides the bytes of the table's data/
//   files by the scan time. Exact search runs the first 100 queries of
//   DATADIR/queries.f32 (K=10, cosine) with the vector index bypassed; when the
//   table has a vector index, the same queries also go through it.
//   LANCEDB_DIR selects the LanceDB install as in bench.mjs.
// Prints one JSON object; times are in-process.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { execSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(process.env.LANCEDB_DIR || here);
const req = createRequire(path.join(pkgDir, "package.json"));
const lancedb = req("@lancedb/lancedb");
const lancedbVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, "node_modules/@lancedb/lancedb/package.json"), "utf8")).version;

const [dbDir, name, dataDir, dS, label] = process.argv.slice(2);
const D = +dS;
const qbuf = fs.readFileSync(`${dataDir}/queries.f32`);
const Q = Math.min(100, qbuf.length / 4 / D);
const queries = new Float32Array(qbuf.buffer, qbuf.byteOffset, Q * D);
const now = () => performance.now();
const du = (p) => +execSync(`du -sb ${p}`).toString().split("\t")[0];
const out = { engine: `lancedb-node-${lancedbVersion}`, mode: "open", table: label || path.join(dbDir, name), D, queries: Q, timing: "in-process" };

const db = await lancedb.connect(dbDir);
const tbl = await db.openTable(name);
out.rows = await tbl.countRows();
out.data_bytes = du(path.join(dbDir, `${name}.lance`, "data"));

let t0 = now();
let rows = 0, batches = 0;
for await (const b of tbl.query()) { rows += b.numRows; batches++; }
const scanS = (now() - t0) / 1000;
out.scan_s = +scanS.toFixed(3);
out.scan_rows = rows;
out.scan_batches = batches;
out.scan_rows_per_s = Math.round(rows / scanS);
out.scan_gbps = +(out.data_bytes / scanS / 1e9).toFixed(3);

const lat = [];
for (let qi = 0; qi < Q; qi++) {
  const q = Array.from(queries.subarray(qi * D, (qi + 1) * D));
  t0 = now();
  let qb = tbl.vectorSearch(q).distanceType("cosine").limit(10).select(["id"]);
  if (typeof qb.bypassVectorIndex === "function") qb = qb.bypassVectorIndex();
  await qb.toArray();
  lat.push(now() - t0);
}
lat.sort((a, b) => a - b);
out.flat_query_p50_ms = +lat[Math.floor(lat.length / 2)].toFixed(2);
out.flat_query_p99_ms = +lat[Math.floor(lat.length * 0.99)].toFixed(2);

// with a vector index: the default indexed query (LanceDB's nprobes, no refine)
const indices = typeof tbl.listIndices === "function" ? await tbl.listIndices() : [];
if (indices.some((ix) => (ix.columns || []).includes("vector"))) {
  const ilat = [];
  for (let qi = 0; qi < Q; qi++) {
    const q = Array.from(queries.subarray(qi * D, (qi + 1) * D));
    t0 = now();
    await tbl.vectorSearch(q).distanceType("cosine").limit(10).select(["id"]).toArray();
    ilat.push(now() - t0);
  }
  ilat.sort((a, b) => a - b);
  out.ivfpq_query_p50_ms = +ilat[Math.floor(ilat.length / 2)].toFixed(2);
  out.ivfpq_query_p99_ms = +ilat[Math.floor(ilat.length * 0.99)].toFixed(2);
}
out.max_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(out));
