// Writes the small committed fixture with LanceDB 0.13 and records what LanceDB reads back.
// usage: node fixture.mjs OUTDIR
const lancedb = await import('/tmp/npmtest/v13/node_modules/@lancedb/lancedb/dist/index.js');
const arrow = await import('/tmp/npmtest/v13/node_modules/apache-arrow/Arrow.node.js');
import fs from 'node:fs';
const out = process.argv[2];
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const DIM = 8;
let seed = 12345;
function rnd() { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; }
const f32 = (x) => Math.fround(x);
const cats = ['alpha', 'beta', 'gamma'];
function makeRows(start, count, withN2) {
  const rows = [];
  for (let i = start; i < start + count; i++) {
    const v = []; for (let d = 0; d < DIM; d++) v.push(f32(rnd() * 2 - 1));
    const r = {
      id: `r${String(i).padStart(3, '0')}`,
      category: i % 11 === 5 ? null : cats[i % 3],
      n: BigInt(i),
      score: i % 13 === 4 ? null : i * 0.5,
      flag: i % 2 === 0,
      vector: v,
    };
    if (withN2) r.n2 = BigInt(i * 2);
    rows.push(r);
  }
  return rows;
}
function schema(withN2) {
  const f = [
    new arrow.Field('id', new arrow.Utf8(), true),
    new arrow.Field('category', new arrow.Utf8(), true),
    new arrow.Field('n', new arrow.Int64(), true),
    new arrow.Field('score', new arrow.Float64(), true),
    new arrow.Field('flag', new arrow.Bool(), true),
    new arrow.Field('vector', new arrow.FixedSizeList(DIM, new arrow.Field('item', new arrow.Float32(), true)), true),
  ];
  if (withN2) f.push(new arrow.Field('n2', new arrow.Int64(), true));
  return new arrow.Schema(f);
}
function toTable(rows, withN2) {
  const s = schema(withN2);
  const cols = {};
  for (const fld of s.fields) {
    cols[fld.name] = arrow.vectorFromArray(rows.map((r) => r[fld.name] ?? null), fld.type);
  }
  return new arrow.Table(s, cols);
}
const db = await lancedb.connect(out);
const tbl = await db.createTable('t', toTable(makeRows(0, 150, false), false));   // v1
await tbl.add(toTable(makeRows(150, 120, false), false));                          // v2
await tbl.delete('n % 7 = 3');                                                      // v3
await tbl.addColumns([{ name: 'n2', valueSql: 'n * 2' }]);                          // v4
await tbl.add(toTable(makeRows(270, 60, true), true));                              // v5
await tbl.delete('(n >= 250 AND n < 260) OR n = 10 OR n = 300');                    // v6
await tbl.createIndex('n', { config: lancedb.Index.btree() });                      // v7
await tbl.createIndex('vector', { config: lancedb.Index.ivfPq({ numPartitions: 2, numSubVectors: 2 }) }); // v8
const indices = await tbl.listIndices();

const queries = [];
for (let q = 0; q < 3; q++) { const v = []; for (let d = 0; d < DIM; d++) v.push(f32(rnd() * 2 - 1)); queries.push(v); }
function plain(row) {
  const o = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'bigint') o[k] = Number(v);
    else if (v && typeof v === 'object' && v.toArray) o[k] = Array.from(v.toArray());
    else if (v && typeof v === 'object' && v.length !== undefined) o[k] = Array.from(v);
    else o[k] = v;
  }
  return o;
}
const versions = [];
const latest = await tbl.version();
for (let vn = 1; vn <= latest; vn++) {
  const ver = { version: vn };
  await tbl.checkout(vn);
  const all = (await tbl.query().withRowId().toArray()).map(plain);
  // Columnar, to keep the fixture small: older versions keep only row ids and ids.
  const names = vn === latest ? Object.keys(all[0]) : (vn === 4 ? ['_rowid', 'id', 'n2'] : ['_rowid', 'id']);
  const rows = {};
  for (const k of names) rows[k] = all.map((r) => r[k]);
  versions.push({
    version: ver.version,
    count: await tbl.countRows(),
    count_alpha: await tbl.countRows("category = 'alpha'"),
    rows,
  });
}
await tbl.checkoutLatest();
const searches = [];
for (const metric of ['l2', 'cosine', 'dot']) {
  for (let qi = 0; qi < queries.length; qi++) {
    for (const where of [null, 'n < 100', "category = 'beta'"]) {
      let s = tbl.search(queries[qi]).distanceType(metric).bypassVectorIndex().limit(7).withRowId().select(['id', 'n']);
      if (where) s = s.where(where);
      const res = (await s.toArray()).map(plain);
      searches.push({ metric, query: qi, where, k: 7, results: res.map((r) => ({ id: r.id, n: r.n, _rowid: r._rowid, _distance: r._distance })) });
    }
  }
}
// Filters in the SQL that lance/expr renders, with LanceDB's counts; nulls
// in category (n % 11 = 5) and score (n % 13 = 4) exercise SQL's
// three-valued logic.
const filterSQL = [
  "category != 'alpha'",
  "NOT (category = 'alpha')",
  "category IS NULL",
  "score IS NOT NULL",
  "(score > 100.0 OR category IS NULL)",
  "NOT ((score > 100.0 OR category IS NULL))",
  "category IN ('alpha', 'gamma')",
  "NOT (category IN ('alpha', 'gamma'))",
  "(flag = true AND score <= 50)",
  "NOT ((flag = true AND score <= 50))",
  "(n >= 10 AND n < 20)",
  "id > 'r250'",
  "n2 IN (0, 4, 8, 600)",
  "score = 37.5",
];
const filters = [];
for (const sql of filterSQL) filters.push({ sql, count: await tbl.countRows(sql) });
fs.writeFileSync(out + '/expected.json', JSON.stringify({ dim: DIM, queries, indices, versions, searches, filters }));
console.log('ok', versions.map((v) => [v.version, v.count]));
