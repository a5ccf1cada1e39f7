// The Resona workload on real LanceDB (Rust core via N-API), the reference
// side of the side-by-side benchmark; resona-bench runs the same phases on
// the Go engine over the same vector files.
//
// Usage: node bench.mjs DBDIR DATADIR N D BATCH [INCR]
//   DATADIR holds benchgen's vectors.f32 and queries.f32. The first N vectors
//   are ingested; with INCR > 0 (and N+INCR vectors in the file) the next INCR
//   rows are appended after maintenance and the table is optimized again.
//   LANCEDB_DIR selects the folder whose node_modules provide @lancedb/lancedb
//   and apache-arrow (default: this folder, 0.39.0; bench/lancedb/v13 for 0.13.0).
// Prints one JSON object of figures on stdout. All times are measured inside
// the process around the awaited LanceDB calls (in-process, wall clock).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { execSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = path.resolve(process.env.LANCEDB_DIR || here);
const req = createRequire(path.join(pkgDir, "package.json"));
const lancedb = req("@lancedb/lancedb");
const arrow = req("apache-arrow");
const lancedbVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, "node_modules/@lancedb/lancedb/package.json"), "utf8")).version;
const arrowVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, "node_modules/apache-arrow/package.json"), "utf8")).version;

const [dbDir, dataDir, nS, dS, bS, iS] = process.argv.slice(2);
const N = +nS, D = +dS, B = +bS, INCR = +(iS || 0);
// readF32 reads the first count floats of a file in pieces: readFileSync
// stops at 2 GiB, and the vectors of the larger runs are bigger.
function readF32(file, count) {
  const out = new Float32Array(count);
  const bytes = new Uint8Array(out.buffer);
  const fd = fs.openSync(file, "r");
  try {
    for (let off = 0; off < bytes.length; ) {
      const n = fs.readSync(fd, bytes, off, Math.min(1 << 30, bytes.length - off), off);
      if (n === 0) throw new Error(`${file} holds fewer than ${count} float32 values`);
      off += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
const vecs = readF32(`${dataDir}/vectors.f32`, (N + INCR) * D);
const qbuf = fs.readFileSync(`${dataDir}/queries.f32`);
const Q = Math.min(100, qbuf.length / 4 / D);
const queries = new Float32Array(qbuf.buffer, qbuf.byteOffset, Q * D);
const now = () => performance.now();
// Per-phase memory: the kernel's resident high-water mark (VmHWM) is reset
// through /proc/self/clear_refs at the start of a phase and read at its end,
// as resona-bench does; runMaxKB keeps the whole-run peak across resets.
const statusKB = (key) => {
  const m = fs.readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"));
  return m ? +m[1] : -1;
};
let runMaxKB = 0;
function phaseStart() {
  runMaxKB = Math.max(runMaxKB, statusKB("VmHWM"));
  try { fs.writeFileSync("/proc/self/clear_refs", "5"); } catch { return null; }
  return statusKB("VmRSS");
}
function phaseEnd(label, startKB) {
  if (startKB == null || startKB < 0) return;
  const peak = statusKB("VmHWM");
  out[`${label}_peak_rss_mb`] = Math.round(peak / 1024);
  out[`${label}_rss_added_mb`] = Math.round((peak - startKB) / 1024);
}
const du = (p) => +execSync(`du -sb ${p}`).toString().split("\t")[0];
const out = { engine: `lancedb-node-${lancedbVersion}`, arrow: arrowVersion, node: process.version, N, D, batch: B, queries: Q, timing: "in-process" };

fs.rmSync(dbDir, { recursive: true, force: true });
const db = await lancedb.connect(dbDir);
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Utf8(), true),
  new arrow.Field("text_hash", new arrow.Utf8(), true),
  new arrow.Field("context_text", new arrow.Utf8(), true),
  new arrow.Field("model", new arrow.Utf8(), true),
  new arrow.Field("dimensions", new arrow.Float64(), true),
  new arrow.Field("metadata", new arrow.Utf8(), true),
  new arrow.Field("created_at", new arrow.Float64(), true),
  new arrow.Field("updated_at", new arrow.Float64(), true),
  new arrow.Field("vector", new arrow.FixedSizeList(D, new arrow.Field("item", new arrow.Float32(), true)), true),
]);
// batch builds rows start..start+n exactly as resona-bench does.
function batch(start, n) {
  const ids = [], hashes = [], texts = [], models = [], dims = [], metas = [], ts = [];
  for (let i = start; i < start + n; i++) {
    ids.push(`node_${i}`); hashes.push(`h${i}`.padEnd(64, "0"));
    texts.push(`Context text for node ${i}: a short note about topic ${i % 997}.`);
    models.push("bge-m3"); dims.push(D); metas.push(""); ts.push(1.7e12 + i);
  }
  const vdata = arrow.makeData({ type: new arrow.Float32(), length: n * D, data: vecs.subarray(start * D, (start + n) * D) });
  const vec = arrow.makeVector(arrow.makeData({ type: schema.fields[8].type, length: n, nullCount: 0, child: vdata }));
  return new arrow.Table(schema, {
    id: arrow.vectorFromArray(ids, new arrow.Utf8()), text_hash: arrow.vectorFromArray(hashes, new arrow.Utf8()),
    context_text: arrow.vectorFromArray(texts, new arrow.Utf8()), model: arrow.vectorFromArray(models, new arrow.Utf8()),
    dimensions: arrow.vectorFromArray(dims, new arrow.Float64()), metadata: arrow.vectorFromArray(metas, new arrow.Utf8()),
    created_at: arrow.vectorFromArray(ts, new arrow.Float64()), updated_at: arrow.vectorFromArray(ts, new arrow.Float64()),
    vector: vec,
  });
}
// exactTop is the brute-force top-k over the first rows vectors (cosine on
// normalised vectors == max dot).
function exactTop(q, k, rows) {
  const best = [];
  for (let i = 0; i < rows; i++) {
    let s = 0; const o = i * D;
    for (let j = 0; j < D; j++) s += q[j] * vecs[o + j];
    if (best.length < k) { best.push([s, i]); best.sort((a, b) => b[0] - a[0]); }
    else if (s > best[k - 1][0]) { best[k - 1] = [s, i]; best.sort((a, b) => b[0] - a[0]); }
  }
  return best.map((x) => `node_${x[1]}`);
}
async function numFragments(tbl) {
  if (typeof tbl.stats === "function") return (await tbl.stats()).fragmentStats.numFragments;
  return null; // 0.13 has no Table.stats()
}
async function queryFigures(tbl, label, truth, opts = {}) {
  const nq = opts.queries || Q;
  const lat = []; let hit = 0;
  for (let qi = 0; qi < nq; qi++) {
    const q = Array.from(queries.subarray(qi * D, (qi + 1) * D));
    const t0 = now();
    let qb = tbl.vectorSearch(q).distanceType("cosine").limit(10).select(["id"]);
    if (opts.nprobes) qb = qb.nprobes(opts.nprobes);
    if (opts.refine) qb = qb.refineFactor(opts.refine);
    if (opts.exact) qb = qb.bypassVectorIndex();
    const rows = await qb.toArray();
    lat.push(now() - t0);
    if (truth) { const s = new Set(truth[qi]); for (const r of rows) if (s.has(r.id)) hit++; }
  }
  lat.sort((a, b) => a - b);
  out[`${label}_query_p50_ms`] = +lat[Math.floor(lat.length / 2)].toFixed(2);
  out[`${label}_query_p99_ms`] = +lat[Math.floor(lat.length * 0.99)].toFixed(2);
  if (truth) out[`${label}_recall10`] = +(hit / (nq * 10)).toFixed(4);
  if (nq !== Q) out[`${label}_queries`] = nq;
}

let mem = phaseStart();
let t0 = now();
let tbl = await db.createTable("embeddings", batch(0, B));
for (let s = B; s < N; s += B) await tbl.add(batch(s, Math.min(B, N - s)));
out.ingest_s = +((now() - t0) / 1000).toFixed(2);
phaseEnd("ingest", mem);
out.ingest_rows_per_s = Math.round(N / out.ingest_s);
out.version_after_ingest = await tbl.version();
out.fragments_before = await numFragments(tbl);
out.bytes_before = du(dbDir);

const truth = [];
t0 = now();
for (let qi = 0; qi < Q; qi++) truth.push(exactTop(queries.subarray(qi * D, (qi + 1) * D), 10, N));
out.js_bruteforce_truth_s = +((now() - t0) / 1000).toFixed(2);
await queryFigures(tbl, "fragmented_flat", truth);

// maintenance the way Resona does it: optimize (compact + prune), then IVF_PQ index
mem = phaseStart();
t0 = now();
const opt = await tbl.optimize({ cleanupOlderThan: new Date() });
out.optimize_s = +((now() - t0) / 1000).toFixed(2);
phaseEnd("optimize", mem);
out.optimize = opt;
out.fragments_after_compact = await numFragments(tbl);
out.bytes_after_compact = du(dbDir);
await queryFigures(tbl, "compacted_flat", truth);
mem = phaseStart();
t0 = now();
await tbl.createIndex("vector", { config: lancedb.Index.ivfPq({ distanceType: "cosine", numPartitions: Math.max(1, Math.floor(N / 5000)), numSubVectors: Math.min(16, Math.floor(D / 16)) }) });
out.index_resona_params_s = +((now() - t0) / 1000).toFixed(2);
phaseEnd("index_resona_params", mem);
await queryFigures(tbl, "ivfpq_resona", truth);
await queryFigures(tbl, "ivfpq_resona_refine", truth, { nprobes: 20, refine: 10 });
await queryFigures(tbl, "ivfpq_resona_np10", truth, { nprobes: 10 });
await queryFigures(tbl, "ivfpq_resona_np10_refine", truth, { nprobes: 10, refine: 10 });
mem = phaseStart();
t0 = now();
await tbl.createIndex("vector", { config: lancedb.Index.ivfPq({ distanceType: "cosine" }), replace: true });
out.index_default_params_s = +((now() - t0) / 1000).toFixed(2);
phaseEnd("index_default_params", mem);
await queryFigures(tbl, "ivfpq_default", truth);
await queryFigures(tbl, "ivfpq_default_refine", truth, { nprobes: 20, refine: 10 });
await tbl.optimize({ cleanupOlderThan: new Date() });
out.bytes_after = du(dbDir);
out.fragments_final = await numFragments(tbl);

// incremental update: +INCR rows in the same batches, then optimize again
// (compaction, index delta, cleanup), then exact and ANN search over all rows.
if (INCR > 0) {
  t0 = now();
  for (let s = N; s < N + INCR; s += B) await tbl.add(batch(s, Math.min(B, N + INCR - s)));
  out.incr_rows = INCR;
  out.incr_ingest_s = +((now() - t0) / 1000).toFixed(2);
  mem = phaseStart();
  t0 = now();
  await tbl.optimize({ cleanupOlderThan: new Date() });
  out.incr_optimize_s = +((now() - t0) / 1000).toFixed(2);
  phaseEnd("incr_optimize", mem);
  out.incr_fragments = await numFragments(tbl);
  out.incr_bytes = du(dbDir);
  const QI = Math.min(Q, 20);
  const truth2 = [];
  for (let qi = 0; qi < QI; qi++) truth2.push(exactTop(queries.subarray(qi * D, (qi + 1) * D), 10, N + INCR));
  await queryFigures(tbl, "incr_flat", truth2, { queries: QI, exact: true });
  await queryFigures(tbl, "incr_ivfpq_default", truth2, { queries: QI });
}
out.max_rss_mb = Math.round(Math.max(runMaxKB, statusKB("VmHWM"), process.resourceUsage().maxRSS) / 1024);
console.log(JSON.stringify(out));
