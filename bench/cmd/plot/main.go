// Command plot renders PNG charts from the JSON lines bench/run.sh writes:
// time per phase per engine, exact-search latency, full-scan throughput on
// the same tables, and recall against latency when ANN figures exist. With
// -table it prints the run as markdown tables with Go/LanceDB ratios.
//
//	go run ./bench/cmd/plot -in bench/results -out bench/results/plots
//	go run ./bench/cmd/plot -in bench/results -table
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	in := flag.String("in", "bench/results", "results .jsonl file, or a directory (newest .jsonl)")
	out := flag.String("out", "bench/results/plots", "directory for the PNG files")
	run := flag.String("run", "", "run id to plot (default: the last run in the file)")
	md := flag.Bool("table", false, "print markdown tables of the run with Go/LanceDB ratios instead of plotting")
	flag.Parse()
	if *md {
		path, err := newestJSONL(*in)
		if err == nil {
			var lines []line
			if lines, _, err = readRun(path, *run); err == nil {
				writeTable(os.Stdout, lines)
				writeServiceTable(os.Stdout, lines)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "plot:", err)
			os.Exit(1)
		}
		return
	}
	if err := plotAll(*in, *out, *run); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func plotAll(in, out, run string) error {
	path, err := newestJSONL(in)
	if err != nil {
		return err
	}
	lines, run, err := readRun(path, run)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	charts := []struct {
		name string
		draw func([]line, string, string) (bool, error)
	}{
		{"phases", phaseChart},
		{"memory", memoryChart},
		{"search", searchChart},
		{"scan", scanChart},
		{"read_search", readSearchChart},
		{"recall_latency", recallChart},
	}
	for _, c := range charts {
		file := filepath.Join(out, run+"-"+c.name+".png")
		drawn, err := c.draw(lines, run, file)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if drawn {
			fmt.Println(file)
		}
	}
	return nil
}
