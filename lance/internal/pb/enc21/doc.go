// Package enc21 holds the generated Go types of protobuf package
// lance.encodings21, the structural page layouts (PageLayout) and
// compressive encodings (CompressiveEncoding) of Lance 2.1 and later files.
// The schema follows the newest Lance: PageLayout field 2 is ConstantLayout
// (older writers put an AllNullLayout with only layers there, which decodes
// as a ConstantLayout without a value) and MiniBlockLayout has
// has_large_chunk. Generated from encodings_v2_1.proto by `make proto`; do
// not edit *.pb.go.
package enc21
