// usage: node make_fixture.mjs <v13|v39> <outdir>
const ver = process.argv[2];
const out = process.argv[3];
const base = `/tmp/npmtest/${ver}/node_modules`;
const lancedb = await import(`${base}/@lancedb/lancedb/dist/index.js`);
const arrow = await import(`${base}/apache-arrow/Arrow.node.js`).catch(() => import(`${base}/apache-arrow/Arrow.js`));
import fs from 'node:fs';
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

const DIM = 16;
let seed = 12345;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), true),
  new arrow.Field('n', new arrow.Int32(), true),
  new arrow.Field('score', new arrow.Float64(), true),
  new arrow.Field('tags', new arrow.List(new arrow.Field('item', new arrow.Utf8(), true)), true),
  new arrow.Field('meta', new arrow.Struct([new arrow.Field('a', new arrow.Int64(), true), new arrow.Field('b', new arrow.Utf8(), true)]), true),
  new arrow.Field('vec', new arrow.FixedSizeList(DIM, new arrow.Field('item', new arrow.Float32(), true)), true),
]);
function rows(from, to, tag = 'x') {
  const r = [];
  for (let i = from; i < to; i++) {
    r.push({ id: `id${i}`, n: i, score: i / 2, tags: [tag, `t${i % 3}`], meta: { a: BigInt(i), b: `b${i}` },
      vec: Array.from({ length: DIM }, () => rnd()) });
  }
  return lancedb.makeArrowTable(r, { schema });
}

const db = await lancedb.connect(out);
const steps = [];
let tbl;
async function step(op, fn) {
  await fn();
  steps.push({ op, version: await tbl.version(), countRows: await tbl.countRows() });
  console.log(op, steps[steps.length - 1]);
}
await step('create 8000', async () => { tbl = await db.createTable('t', rows(0, 8000)); });
await step('add 300', async () => { await tbl.add(rows(8000, 8300)); });
await step('add 200', async () => { await tbl.add(rows(8300, 8500)); });
await step('delete n<10', async () => { await tbl.delete('n < 10'); });
await step('delete 100<=n<6000', async () => { await tbl.delete('n >= 100 AND n < 6000'); });
await step('delete 8000<=n<8005', async () => { await tbl.delete('n >= 8000 AND n < 8005'); });
await step('mergeInsert', async () => {
  await tbl.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows(8400, 8600, 'm'));
});
await step('btree id', async () => { await tbl.createIndex('id', { config: lancedb.Index.btree() }); });
await step('ivfpq vec', async () => {
  await tbl.createIndex('vec', { config: lancedb.Index.ivfPq({ numPartitions: 2, numSubVectors: 2 }) });
});
await step('add 100', async () => { await tbl.add(rows(9000, 9100)); });
await step('optimize', async () => { await tbl.optimize(); });

const versions = typeof tbl.listVersions === 'function'
  ? (await tbl.listVersions()).map((v) => ({ version: Number(v.version), timestamp: new Date(v.timestamp).toISOString(), metadata: v.metadata }))
  : null;
const perVersion = [];
const latest = await tbl.version();
for (let v = 1; v <= latest; v++) {
  try {
    await tbl.checkout(v);
    const st = {};
    for (const ix of await tbl.listIndices()) st[ix.name] = await tbl.indexStats(ix.name);
    perVersion.push({ version: v, countRows: await tbl.countRows(), indexStats: st });
  } catch (e) { perVersion.push({ version: v, error: String(e.message).slice(0, 200) }); }
}
await tbl.checkoutLatest();
const indices = await tbl.listIndices();
const indexStats = {};
for (const ix of indices) indexStats[ix.name] = await tbl.indexStats(ix.name);
const sch = await tbl.schema();
const report = {
  lancedb: ver === 'v13' ? '0.13.0' : '0.39.0',
  latestVersion: await tbl.version(),
  countRows: await tbl.countRows(),
  steps, versions, perVersion,
  schema: sch.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
  indices: indices.map((i) => ({ name: i.name, indexType: i.indexType, columns: i.columns })),
  indexStats,
};
fs.writeFileSync(`${out}/lancedb.json`, JSON.stringify(report, (k, v) => (typeof v === 'bigint' ? Number(v) : v), 2));
console.log(JSON.stringify(report.indices), JSON.stringify(indexStats));
