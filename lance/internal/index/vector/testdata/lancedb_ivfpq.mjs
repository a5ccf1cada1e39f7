// lancedb_ivfpq.mjs <harness-node-dir> <version> <outdir> <l2|cosine|dot>
//
// Writes a small table with an IVF_PQ index through a pinned LanceDB of the
// interop harness, and the answers LanceDB gives to a few queries, for
// lancedb_interop_test.go. <outdir> receives vectors.f32 (row-major float32
// little-endian, row id = row number), db/t.lance (the table and its index)
// and results.json.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [harness, version, dir, metric] = process.argv.slice(2);
const { loadLanceDB } = await import(pathToFileURL(path.join(harness, 'scripts', 'lib.mjs')).href);
const { lancedb } = loadLanceDB(version);
const N = 3000, D = 32, P = 4, M = 8;

// A fixed linear congruential generator keeps the data reproducible.
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const centres = Array.from({ length: 8 }, () => Array.from({ length: D }, () => rnd() * 2 - 1));
const rows = [];
const flat = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  const v = centres[i % 8].map((x) => x + (rnd() - 0.5) * 0.6);
  rows.push({ id: i, vector: v });
  flat.set(v, i * D);
}
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(`${dir}/vectors.f32`, Buffer.from(flat.buffer));

const db = await lancedb.connect(`${dir}/db`);
const tbl = await db.createTable('t', rows, { mode: 'overwrite' });
await tbl.createIndex('vector', {
  config: lancedb.Index.ivfPq({ numPartitions: P, numSubVectors: M, distanceType: metric }),
});

const out = [];
for (let q = 0; q < 8; q++) {
  const qv = Array.from(flat.slice(q * 97 * D, (q * 97 + 1) * D)).map((x) => x + 0.05);
  const pqOnly = await tbl.query().nearestTo(qv).distanceType(metric).nprobes(P).limit(10).toArray();
  const refined = await tbl.query().nearestTo(qv).distanceType(metric).nprobes(P).refineFactor(5).limit(10).toArray();
  out.push({
    q: qv,
    ids: pqOnly.map((r) => r.id), dist: pqOnly.map((r) => r._distance),
    ids_refine: refined.map((r) => r.id), dist_refine: refined.map((r) => r._distance),
  });
}
fs.writeFileSync(`${dir}/results.json`, JSON.stringify(out));
