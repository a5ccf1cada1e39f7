// Package ivfpqfile reads and writes the two files of a Lance v3 IVF_PQ
// index segment, the layout LanceDB 0.39 writes under _indices/<uuid>/:
//
//   - index.idx: no rows, one uint64 column "__flat_marker"; schema metadata
//     "lance:index" ({"type":"IVF_PQ","distance_type":…}), "lance:ivf" (the
//     global buffer holding the IVF message with the centroids tensor) and
//     "lance:flat" (one empty string per partition).
//   - auxiliary.idx: columns "_rowid" (uint64) and "__pq_code"
//     (fixed_size_list<uint8>[m]), rows grouped by partition with each
//     partition's code bytes transposed; schema metadata "distance_type",
//     "lance:ivf" (an IVF message with the partitions' row offsets and
//     lengths) and "storage_metadata" (a JSON list holding one JSON string
//     with the PQ parameters and the global buffer of the codebook tensor).
//
// Files written in format 2.0 (for tables LanceDB 0.13 may open) also carry
// what lance 0.19, inside LanceDB 0.13, reads: "num_bits" beside "nbits" and
// the codebook Tensor inline in "codebook_tensor". With them LanceDB 0.13
// searches v3 indexes written here; LanceDB 0.39 ignores them. When
// LanceDB 0.13's optimize() rewrites such an index it records the codebook
// only inline (codebook_position 0) and nbits only as "num_bits"; [Decode]
// reads that layout too.
//
// [Decode] turns the two files into a [vector.Index], validating every size
// it reads so that a corrupt file is an ErrCorrupt naming it; [Encode] does
// the reverse. [Read] and [Write] do the same against a storage.Store, and
// [Details] builds the manifest entry's VectorIndexDetails.
package ivfpqfile
