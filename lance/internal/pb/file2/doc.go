// Package file2 holds the generated Go types of protobuf package
// lance.file.v2: the per-column metadata of Lance v2 files (ColumnMetadata,
// its pages and the Encoding locator). It is separate from package pb
// because its Encoding message would clash with the lance.file Encoding
// enum. Generated from file2.proto by `make proto`; do not edit *.pb.go.
package file2
