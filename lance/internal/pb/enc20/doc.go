// Package enc20 holds the generated Go types of protobuf package
// lance.encodings, the page (ArrayEncoding) and column (ColumnEncoding)
// encodings of Lance 2.0 files. Generated from encodings_v2_0.proto by
// `make proto`; do not edit *.pb.go.
package enc20
