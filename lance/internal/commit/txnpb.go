package commit

import (
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// ToPB converts a transaction to its protobuf form, the content of a .txn
// file. Foreign operations are returned as they were read.
func (t *Transaction) ToPB() (*pb.Transaction, error) {
	out := &pb.Transaction{
		ReadVersion:           t.ReadVersion,
		Uuid:                  t.UUID,
		Tag:                   t.Tag,
		TransactionProperties: t.Properties,
	}
	switch op := t.Operation.(type) {
	case Append:
		out.Operation = &pb.Transaction_Append_{Append: &pb.Transaction_Append{Fragments: op.Fragments}}
	case Delete:
		out.Operation = &pb.Transaction_Delete_{Delete: &pb.Transaction_Delete{
			UpdatedFragments: op.UpdatedFragments, DeletedFragmentIds: op.DeletedFragmentIDs, Predicate: op.Predicate,
		}}
	case Overwrite:
		out.Operation = &pb.Transaction_Overwrite_{Overwrite: &pb.Transaction_Overwrite{
			Fragments: op.Fragments, Schema: op.Schema, SchemaMetadata: op.SchemaMetadata,
			ConfigUpsertValues: op.ConfigUpsert,
		}}
	case CreateIndex:
		out.Operation = &pb.Transaction_CreateIndex_{CreateIndex: &pb.Transaction_CreateIndex{
			NewIndices: op.NewIndices, RemovedIndices: op.RemovedIndices,
		}}
	case Rewrite:
		rw := &pb.Transaction_Rewrite{}
		for _, g := range op.Groups {
			rw.Groups = append(rw.Groups, &pb.Transaction_Rewrite_RewriteGroup{OldFragments: g.Old, NewFragments: g.New})
		}
		for _, ri := range op.RewrittenIndices {
			rw.RewrittenIndices = append(rw.RewrittenIndices, &pb.Transaction_Rewrite_RewrittenIndex{
				OldId: uuidPB(ri.OldID), NewId: uuidPB(ri.NewID), NewIndexDetails: ri.Details,
				NewIndexVersion: ri.IndexVersion, NewIndexFiles: ri.Files,
			})
		}
		out.Operation = &pb.Transaction_Rewrite_{Rewrite: rw}
	case Update:
		out.Operation = &pb.Transaction_Update_{Update: &pb.Transaction_Update{
			RemovedFragmentIds: op.RemovedFragmentIDs, UpdatedFragments: op.UpdatedFragments,
			NewFragments: op.NewFragments, FieldsModified: op.FieldsModified,
			FieldsForPreservingFragBitmap: op.FieldsForPreservingFragBitmap,
			UpdateMode:                    pb.Transaction_UpdateMode(op.Mode),
			InsertedRows:                  op.InsertedRows,
		}}
	case Restore:
		out.Operation = &pb.Transaction_Restore_{Restore: &pb.Transaction_Restore{Version: op.Version}}
	case Foreign:
		if op.PB == nil {
			return nil, fmt.Errorf("%w: commit: foreign %s operation without its message", lanceerr.ErrInvalidArgument, op.Kind)
		}
		c := proto.Clone(op.PB).(*pb.Transaction)
		c.ReadVersion, c.Uuid, c.Tag, c.TransactionProperties = t.ReadVersion, t.UUID, t.Tag, t.Properties
		return c, nil
	case nil:
		return nil, fmt.Errorf("%w: commit: transaction without an operation", lanceerr.ErrInvalidArgument)
	default:
		return nil, fmt.Errorf("%w: commit: operation %T", lanceerr.ErrUnsupported, op)
	}
	return out, nil
}

// Marshal serialises the transaction as a bare protobuf message, the
// content of a .txn file.
func (t *Transaction) Marshal() ([]byte, error) {
	m, err := t.ToPB()
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("commit: encode transaction: %w", err)
	}
	return b, nil
}

// UnmarshalTransaction decodes .txn file bytes (or an inline transaction
// section). path names the source in errors.
func UnmarshalTransaction(path string, data []byte) (*Transaction, error) {
	m := &pb.Transaction{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%w: %s: transaction: %v", lanceerr.ErrCorrupt, path, err)
	}
	return FromPB(path, m)
}

// FromPB converts a protobuf transaction. Operations this package does
// not model become Foreign; malformed ones yield lanceerr.ErrCorrupt.
func FromPB(path string, m *pb.Transaction) (*Transaction, error) {
	t := &Transaction{ReadVersion: m.ReadVersion, UUID: m.Uuid, Tag: m.Tag, Properties: m.TransactionProperties}
	switch o := m.Operation.(type) {
	case *pb.Transaction_Append_:
		t.Operation = Append{Fragments: o.Append.GetFragments()}
	case *pb.Transaction_Delete_:
		d := o.Delete
		t.Operation = Delete{UpdatedFragments: d.GetUpdatedFragments(), DeletedFragmentIDs: d.GetDeletedFragmentIds(), Predicate: d.GetPredicate()}
	case *pb.Transaction_Overwrite_:
		w := o.Overwrite
		t.Operation = Overwrite{Fragments: w.GetFragments(), Schema: w.GetSchema(), SchemaMetadata: w.GetSchemaMetadata(), ConfigUpsert: w.GetConfigUpsertValues()}
	case *pb.Transaction_CreateIndex_:
		t.Operation = CreateIndex{NewIndices: o.CreateIndex.GetNewIndices(), RemovedIndices: o.CreateIndex.GetRemovedIndices()}
	case *pb.Transaction_Rewrite_:
		rw, err := rewriteFromPB(path, o.Rewrite)
		if err != nil {
			return nil, err
		}
		t.Operation = rw
	case *pb.Transaction_Update_:
		u := o.Update
		t.Operation = Update{
			RemovedFragmentIDs: u.GetRemovedFragmentIds(), UpdatedFragments: u.GetUpdatedFragments(),
			NewFragments: u.GetNewFragments(), FieldsModified: u.GetFieldsModified(),
			FieldsForPreservingFragBitmap: u.GetFieldsForPreservingFragBitmap(), Mode: UpdateMode(u.GetUpdateMode()),
			InsertedRows: u.GetInsertedRows(),
		}
	case *pb.Transaction_Restore_:
		t.Operation = Restore{Version: o.Restore.GetVersion()}
	default:
		t.Operation = Foreign{Kind: foreignKind(m), PB: m}
	}
	return t, nil
}

// rewriteFromPB accepts both the grouped form and the older flat form (one
// implicit group), as Lance does.
func rewriteFromPB(path string, r *pb.Transaction_Rewrite) (Rewrite, error) {
	var out Rewrite
	for _, g := range r.GetGroups() {
		out.Groups = append(out.Groups, RewriteGroup{Old: g.GetOldFragments(), New: g.GetNewFragments()})
	}
	if len(out.Groups) == 0 && (len(r.GetOldFragments()) > 0 || len(r.GetNewFragments()) > 0) {
		out.Groups = []RewriteGroup{{Old: r.GetOldFragments(), New: r.GetNewFragments()}}
	}
	for _, ri := range r.GetRewrittenIndices() {
		oldID, err := uuidFromPB(ri.GetOldId())
		if err != nil {
			return Rewrite{}, fmt.Errorf("%w: %s: rewritten index old id: %v", lanceerr.ErrCorrupt, path, err)
		}
		newID, err := uuidFromPB(ri.GetNewId())
		if err != nil {
			return Rewrite{}, fmt.Errorf("%w: %s: rewritten index new id: %v", lanceerr.ErrCorrupt, path, err)
		}
		out.RewrittenIndices = append(out.RewrittenIndices, RewrittenIndex{
			OldID: oldID, NewID: newID, Details: ri.GetNewIndexDetails(),
			IndexVersion: ri.GetNewIndexVersion(), Files: ri.GetNewIndexFiles(),
		})
	}
	return out, nil
}

func foreignKind(m *pb.Transaction) string {
	switch m.Operation.(type) {
	case *pb.Transaction_Merge_:
		return "Merge"
	case *pb.Transaction_ReserveFragments_:
		return "ReserveFragments"
	case *pb.Transaction_Project_:
		return "Project"
	case *pb.Transaction_UpdateConfig_:
		return "UpdateConfig"
	case *pb.Transaction_DataReplacement_:
		return "DataReplacement"
	case *pb.Transaction_UpdateMemWalState_:
		return "UpdateMemWalState"
	case *pb.Transaction_Clone_:
		return "Clone"
	case *pb.Transaction_UpdateBases_:
		return "UpdateBases"
	case *pb.Transaction_DataOverlay_:
		return "DataOverlay"
	case *pb.Transaction_AppendFriTransitions:
		return "AppendFragmentReuseTransitions"
	}
	return "Unknown"
}

func uuidPB(id uuid.UUID) *pb.UUID { return &pb.UUID{Uuid: append([]byte(nil), id[:]...)} }

func uuidFromPB(u *pb.UUID) (uuid.UUID, error) {
	if u == nil {
		return uuid.UUID{}, fmt.Errorf("missing")
	}
	return uuid.FromBytes(u.Uuid)
}
