// Writes table "t" with LanceDB 0.13.0 into the database folder given as
// argument; its data file is lancedb013_types.lance. The Go test
// TestMatchesLanceDB013 writes the same rows and compares the pages.
//
//   node lancedb013_types.mjs /tmp/ref13 && cp /tmp/ref13/t.lance/data/*.lance lancedb013_types.lance
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../../../../interop/node/lancedb-0.13/package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const out = process.argv[2];
const N = 300;
const db = await lancedb.connect(out);
const {Field, Schema, Utf8, LargeUtf8, Binary, Bool, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Float32, Float64, FixedSizeList, List, Struct, makeBuilder, Table, vectorFromArray, RecordBatch, makeData} = arrow;
const schema = new Schema([
  new Field('id', new Utf8(), true),
  new Field('cat', new Utf8(), true),
  new Field('lu', new LargeUtf8(), true),
  new Field('bin', new Binary(), true),
  new Field('b', new Bool(), true),
  new Field('i8', new Int8(), true),
  new Field('i16', new Int16(), true),
  new Field('i32', new Int32(), true),
  new Field('i64', new Int64(), true),
  new Field('u8', new Uint8(), true),
  new Field('u16', new Uint16(), true),
  new Field('u32', new Uint32(), true),
  new Field('u64', new Uint64(), true),
  new Field('f32', new Float32(), true),
  new Field('f64', new Float64(), true),
  new Field('allnull', new Int32(), true),
  new Field('vec', new FixedSizeList(4, new Field('item', new Float32(), true)), true),
  new Field('lst', new List(new Field('item', new Int32(), true)), true),
  new Field('st', new Struct([new Field('x', new Int32(), true), new Field('y', new Utf8(), true)]), true),
]);
const cols = {};
const rows = [];
for (let i = 0; i < N; i++) {
  rows.push({
    id: i % 7 == 3 ? null : `row-${i}`,
    cat: i % 11 == 5 ? null : ['red','green','blue'][i%3],
    lu: i % 5 == 0 ? null : 'x'.repeat(i%4),
    bin: i % 6 == 1 ? null : new Uint8Array([i & 255, (i*3)&255]),
    b: i % 9 == 0 ? null : (i % 2 == 0),
    i8: i % 10 == 0 ? null : (i % 100) - 50,
    i16: i * 7 - 1000,
    i32: i % 13 == 0 ? null : i * 1000,
    i64: BigInt(i) * 1000000000n,
    u8: i % 256,
    u16: i * 3,
    u32: i * 100000,
    u64: BigInt(i) * 3n,
    f32: i * 0.5,
    f64: i % 4 == 0 ? null : i * 0.25,
    allnull: null,
    vec: i % 17 == 0 ? null : [i, i+1, i+2, i+3],
    lst: i % 8 == 0 ? null : Array.from({length: i%4}, (_, k) => i*10+k),
    st: {x: i, y: `s${i}`},
  });
}
const tbl = await db.createTable('t', rows, {schema});
console.log(await tbl.countRows());
