// Package indexpb holds the generated Go types of protobuf package
// lance.index.pb: the Index message of legacy single-file vector indices,
// its stages (IVF, PQ, ...), and the details messages of newer index kinds
// such as VectorIndexDetails. It is separate from package pb because
// lance.table also has a VectorIndexDetails message. Generated from
// index.proto by `make proto`; do not edit *.pb.go.
package indexpb
