// Package knn holds the building blocks of exact (flat) nearest-neighbour
// search: a bounded top-k collector and scans that score contiguous blocks
// of vectors into it, on one goroutine or spread over several.
//
// # Order of results
//
// Results are ordered by distance, then by row address, both ascending; this
// is the order of Lance's flat search, which sorts on (_distance, _rowid)
// (rust/lance/src/dataset/scanner.rs, flat_knn). Because the order is total,
// the k results are the same whatever the number of workers or the order in
// which rows are offered. (LanceDB 0.13 did not break ties by row: equal
// distances came back in scan order.)
//
// Rows whose distance is NaN are never collected. LanceDB 0.39 leaves them
// out of search results (observed: a zero vector under cosine, a vector
// holding a NaN, or a zero query under cosine, return nothing), while
// LanceDB 0.13 returned them with a NaN distance, some before and some after
// the finite ones depending on the NaN's sign bit. The newer behaviour is the
// one followed here.
package knn
