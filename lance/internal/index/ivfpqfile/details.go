package ivfpqfile

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
)

// DetailsTypeURL is the type URL of the manifest entry's details, as
// LanceDB 0.39 writes it.
const DetailsTypeURL = "/lance.index.pb.VectorIndexDetails"

// IndexVersion is the manifest entry's index_version for v3 segments.
const IndexVersion = 1

// Details returns the manifest entry's index_details for a segment holding ix.
func Details(ix *vector.Index) *anypb.Any {
	d := &indexpb.VectorIndexDetails{MetricType: metricType(ix.Metric)}
	if ix.Codebook != nil {
		d.Compression = &indexpb.VectorIndexDetails_Pq{Pq: &indexpb.VectorIndexDetails_ProductQuantization{
			NumBits: uint32(ix.Codebook.NBits), NumSubVectors: uint32(ix.Codebook.M)}}
	}
	b, _ := proto.Marshal(d) // a message of scalars always marshals
	return &anypb.Any{TypeUrl: DetailsTypeURL, Value: b}
}

func metricType(m linalg.Metric) indexpb.VectorMetricType {
	switch m {
	case linalg.MetricCosine:
		return indexpb.VectorMetricType_Cosine
	case linalg.MetricDot:
		return indexpb.VectorMetricType_Dot
	}
	return indexpb.VectorMetricType_L2
}
