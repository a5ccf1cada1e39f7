package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// line is one JSON line of bench/run.sh output.
type line map[string]any

func (l line) str(key string) string {
	s, _ := l[key].(string)
	return s
}

// num returns a numeric figure; ok is false when it is absent or not a
// number (e.g. "ann": "unsupported"), so nothing is ever plotted as zero
// for a phase that did not run.
func (l line) num(key string) (float64, bool) {
	v, ok := l[key].(float64)
	return v, ok
}

// newestJSONL returns path itself when it is a file, or the newest
// (by name, which is the date) .jsonl file in the directory.
func newestJSONL(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return path, nil
	}
	names, err := filepath.Glob(filepath.Join(path, "*.jsonl"))
	if err != nil {
		return "", err
	}
	if len(names) == 0 {
		return "", fmt.Errorf("no .jsonl file in %s", path)
	}
	sort.Strings(names)
	return names[len(names)-1], nil
}

// readRun reads the lines of one run of a results file: the given run id,
// or the last run in the file when run is empty.
func readRun(path, run string) ([]line, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	byRun := map[string][]line{}
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return nil, "", fmt.Errorf("%s: %w", path, err)
		}
		id := l.str("run")
		byRun[id] = append(byRun[id], l)
		last = id
	}
	if err := sc.Err(); err != nil {
		return nil, "", err
	}
	if run == "" {
		run = last
	}
	if len(byRun[run]) == 0 {
		return nil, "", fmt.Errorf("%s: no lines of run %q", path, run)
	}
	return byRun[run], run, nil
}
