// Package pb holds the Go types generated from the protobuf schemas of the
// Lance file and table formats. The .proto files next to the generated code
// are written here; `make proto` (run from the repository root) regenerates
// every *.pb.go file under this directory, which must not be edited by hand.
//
// Protobuf package names are exactly Lance's, because files store
// google.protobuf.Any values whose type URLs name them
// (/lance.table.BTreeIndexDetails, /lance.encodings21.PageLayout, ...).
// Lance writes those URLs as "/" + full name, with no domain. anypb's
// UnmarshalNew and UnmarshalTo accept that form, but anypb.New would write a
// type.googleapis.com prefix, so writers set TypeUrl themselves.
//
// This package holds:
//   - lance.file (file.proto): schema fields, the v2 FileDescriptor, the
//     legacy v1 footer Metadata;
//   - lance.table (table.proto, transaction.proto, rowids.proto,
//     index_old.proto): Manifest, DataFragment, DataFile, DeletionFile,
//     IndexMetadata, Transaction, RowIdSequence and the scalar index
//     details messages.
//
// Other Lance packages live in subpackages because their Go names would
// collide with the ones here:
//   - file2 (lance.file.v2): ColumnMetadata and its Encoding message, whose
//     name clashes with the lance.file Encoding enum;
//   - indexpb (lance.index.pb): vector index metadata, whose
//     VectorIndexDetails clashes with lance.table's;
//   - enc20 (lance.encodings) and enc21 (lance.encodings21): page encodings,
//     which share many message names (Flat, Constant, Dictionary, ...).
package pb
