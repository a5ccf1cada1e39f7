package main

import (
	"fmt"
	"io"
	"strconv"
)

// serviceRows are the figures of the service-level step: the table built
// by EmbedBatch in small commits, before and after Maintain, beside a
// table written in one call and maintained the same way.
var serviceRows = []struct{ label, suffix, unit string }{
	{"fragments", "fragments", ""},
	{"versions on disk", "versions", ""},
	{"unindexed rows", "unindexed_rows", ""},
	{"disk", "disk_bytes", "MB"},
	{"SearchVector p50, first pass", "first_pass_query_p50_ms", "ms"},
	{"SearchVector p99, first pass", "first_pass_query_p99_ms", "ms"},
	{"SearchVector p50", "query_p50_ms", "ms"},
	{"SearchVector p99", "query_p99_ms", "ms"},
	{"recall@10 vs brute force", "recall10", ""},
}

// writeServiceTable prints the service step's comparison, if the run has
// one.
func writeServiceTable(w io.Writer, lines []line) {
	for _, l := range lines {
		if l.str("step") != "service" || l["error"] != nil {
			continue
		}
		fmt.Fprintf(w, "Service level (package resona, N = %s, StoreBatchSize %s):\n\n", numStr(l, "N"), numStr(l, "store_batch"))
		fmt.Fprintf(w, "| figure | batched, before Maintain | batched, after Maintain | fresh, one write + Maintain | after/fresh |\n| --- | ---: | ---: | ---: | ---: |\n")
		for _, r := range serviceRows {
			before := cellOf(l, "batched_before_"+r.suffix, r.unit)
			after, aok := l.num("batched_after_" + r.suffix)
			fresh, fok := l.num("fresh_" + r.suffix)
			ratio := ""
			if aok && fok && fresh != 0 {
				ratio = strconv.FormatFloat(after/fresh, 'f', 2, 64)
			}
			unit := ""
			if r.unit != "" {
				unit = " (" + r.unit + ")"
			}
			fmt.Fprintf(w, "| %s%s | %s | %s | %s | %s |\n", r.label, unit, before,
				cellOf(l, "batched_after_"+r.suffix, r.unit), cellOf(l, "fresh_"+r.suffix, r.unit), ratio)
		}
		fmt.Fprintf(w, "| EmbedBatch (s) | %s | | %s | |\n", cellOf(l, "batched_embed_s", "s"), cellOf(l, "fresh_embed_s", "s"))
		fmt.Fprintf(w, "| Maintain (s) | | %s | %s | |\n\n", cellOf(l, "batched_maintain_s", "s"), cellOf(l, "fresh_maintain_s", "s"))
	}
}

func cellOf(l line, key, unit string) string {
	v, ok := l.num(key)
	if !ok {
		return "—"
	}
	return format(v, unit)
}

func numStr(l line, key string) string {
	v, ok := l.num(key)
	if !ok {
		return "?"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
