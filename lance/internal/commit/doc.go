// Package commit implements Lance transactions and the atomic commit
// protocol: the write path's last step, shared by append, delete,
// merge-insert, index creation, compaction and restore.
//
// # Transactions
//
// A Transaction (ReadVersion, UUID, Tag, Properties, Operation) describes
// one change relative to the version it was prepared on. Operations:
//
//   - Append{Fragments}: add fragments; ids of 0 are assigned at commit.
//   - Delete{UpdatedFragments, DeletedFragmentIDs, Predicate}: swap in
//     fragments carrying new deletion files, drop fully deleted ones.
//   - Update{RemovedFragmentIDs, UpdatedFragments, NewFragments,
//     FieldsModified, FieldsForPreservingFragBitmap, Mode}: what Lance's
//     merge-insert commits (RewriteRows mode, FieldsModified empty).
//   - Overwrite{Fragments, Schema, SchemaMetadata, ConfigUpsert}: replace
//     or create the dataset.
//   - CreateIndex{NewIndices, RemovedIndices}.
//   - Rewrite{Groups, RewrittenIndices}: compaction, with index remapping.
//   - Restore{Version}.
//   - Foreign: any other operation read from another writer's transaction
//     (Merge, Project, UpdateConfig, ReserveFragments, DataReplacement, …);
//     it takes part in conflict checks and cannot be committed.
//
// ToPB/FromPB and Marshal/UnmarshalTransaction convert to and from the
// lance.table.Transaction protobuf, the content of _transactions/*.txn
// files, so LanceDB reads our transactions and we read theirs.
//
// # Building manifests
//
// Build applies a transaction to the latest manifest as Lance's
// Transaction::build_manifest does: new fragment ids continue from the max
// fragment id (which never decreases), fragments stay sorted by id, data
// files holding only dropped fields go, feature flags are recomputed from
// the content (deletion files, table config, base paths), and indexes
// follow the operation (Overwrite drops them, Rewrite moves remapped ones
// to their new uuid and fragment ids, Delete/Update drop segments that no
// longer cover any fragment, Update with FieldsModified removes updated
// fragments from indexes on those fields, CreateIndex replaces segments
// by name). The manifest records WriterLibrary/WriterLibraryVersion as its
// writer_version. Data files must match the table's data storage version:
// Lance rejects mixed versions, so a mismatch is lanceerr.ErrUnsupported.
// Tables with stable row ids or writer flags this engine cannot honour are
// refused with lanceerr.ErrReadOnly.
//
// # Committing
//
// Commit runs the protocol Lance uses on local storage:
//
//  1. check the transaction against every version committed after its read
//     version (CheckConflict), loading each version's transaction from the
//     inline manifest section or its .txn file; a version without one is a
//     conflict, since it cannot be checked;
//  2. write _transactions/{read_version}-{uuid}.txn (temp file + rename);
//  3. build the next manifest on the latest version and create its file
//     with storage.Store.PutIfNotExists under the table's naming scheme
//     (V1 or V2; new tables use Options.NewTableScheme, V2 by default);
//  4. on a lost race, back off for a random number of slots (exponential,
//     the slot being 1.1× the first attempt's duration) and go back to 1,
//     up to Options.MaxRetries (20) times;
//  5. rewrite _versions/latest_version_hint.json on V2 tables, and on V1
//     tables only when one already exists (Lance 0.19 never updates it).
//     The hint is best effort and not synced; readers never trust it.
//
// Right before step 3 the versions are listed again: the manifest is only
// linked when its base is still the latest version. A cleanup may have
// removed the number being linked after newer versions landed, and the
// create-only put alone would then succeed on a version that is never the
// latest. When the caller passes the manifest it prepared the transaction
// on (Options.Base), the first attempt skips the listing of step 1 and
// reading the base back: this check verifies the presumption, and any
// surprise sends the commit through the full protocol. Listings read only
// names (format.ScanVersionNames), so a commit costs no stat per version.
//
// Durability: data, deletion and .txn files, the manifest and the
// directories that gained them are synced before the manifest is linked
// (storage.Local), so a crash at any point leaves the last linked version
// readable with every file it names.
//
// The transaction is also embedded in the manifest (Options.Inline) when
// the base manifest has one, as Lance 12 writes; Lance 0.19 ignores it.
//
// Conflicts (self = the transaction being committed, other = a transaction
// committed after its read version), following Lance's resolver:
//
//	self \ other   Append   Delete/Update      CreateIndex       Rewrite           Overwrite/Restore
//	Append         ok       ok                 ok                ok                incompatible
//	Delete/Update  ok (1)   merged (3); else   ok                retry if same     incompatible
//	                        retry (1)                            fragments
//	CreateIndex    ok       ok; Update: retry  retry if same     retry if it moved incompatible
//	                        if it changed      index name        indexed fragments
//	                        indexed values
//	Rewrite        ok       retry if same      retry if it       retry if same     incompatible
//	                        fragments          indexes them      fragments
//	Overwrite      ok       ok                 ok                ok                ok (2)
//	Restore        ok       ok                 ok                ok                ok
//
// (1) An Update carrying InsertedRows (the keys a merge-insert inserted, as
// newer Lance records them) also retries after any Append, after an Update
// without such keys, and after one whose keys may intersect.
// (2) Unless both set one table config key to different values.
// (3) When both only changed deletion files of a fragment, the rows this
// transaction deletes are merged into the fragment's current deletion file
// (a new file), as Lance does; the same row deleted or moved by both, a
// fragment removed by either, or changed data files are a retryable
// conflict. The rebased transaction records the version it was rebased on
// as its read version, again like Lance.
//
// # Failpoints
//
// Options.Failpoint is called at FailAfterDataWrite, FailAfterTxnWrite,
// FailBeforeManifestLink, FailAfterManifestLink and FailBeforeHint; an error
// aborts the commit there. Crash tests kill the writer process at these
// points and check that the table stays at its last committed version.
// Readers never see a partial manifest: the file appears under its final
// name complete or not at all, and staging files are ignored by version
// listing. Data, deletion and .txn files left by a dead writer are orphans
// that no manifest names.
package commit
