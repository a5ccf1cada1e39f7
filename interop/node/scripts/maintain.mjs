// maintain.mjs <version> <dbdir> <table> [--add N]
//
// Changes an existing table with the pinned LanceDB <version> the way a
// LanceDB user maintains one: deletes a few rows, then optimize()
// (compaction, index update, cleanup of versions older than 7 days). Used on
// tables package lance wrote, to check that LanceDB can maintain them and
// that package lance reads the result. Prints {"version": N, "ops": [...]}.
import { loadLanceDB, parseArgs } from "./lib.mjs";

const { pos, flags } = parseArgs(process.argv.slice(2), ["<version>", "<dbdir>", "<table>"]);
const [version, dbdir, tableName] = pos;
const { lancedb } = loadLanceDB(version);

const db = await lancedb.connect(dbdir);
const tbl = await db.openTable(tableName);
const ops = [];
if (flags.add) {
  // --add N: append copies of the first N rows under new ids ("new-…")
  // instead of deleting.
  const rows = (await tbl.query().limit(Number(flags.add)).toArray()).map((r, i) => {
    const o = { ...r.toJSON() };
    o.id = `new-${String(i).padStart(5, "0")}`;
    o.vector = Array.from(r.vector);
    return o;
  });
  await tbl.add(rows);
  ops.push({ op: "append", version: await tbl.version() });
} else {
  await tbl.delete("id IN ('doc-00010', 'doc-00120', 'doc-00121')");
  ops.push({ op: "delete", version: await tbl.version() });
}
await tbl.optimize();
ops.push({ op: "optimize", version: await tbl.version() });
process.stdout.write(JSON.stringify({ version: await tbl.version(), ops }) + "\n");
