# Resona for Go — build, test and maintenance targets.
GO ?= go
NPM ?= npm
PROTOC_GEN_GO_VERSION := v1.36.12
# staticcheck 2026.2.2, the first line that knows Go 1.26.
STATICCHECK_VERSION := v0.8.2
# Time per fuzz target for `make fuzz`.
FUZZTIME ?= 2m

# LanceDB releases the interop tests run (folders interop/node/lancedb-<v>).
LANCEDB_VERSIONS := 0.13 0.39
INTEROP_STAMPS := $(foreach v,$(LANCEDB_VERSIONS),interop/node/lancedb-$(v)/node_modules/.resona-installed)

.PHONY: all build test test-short test-interop vet proto fuzz interop-deps lint bench

all: build

build:
	$(GO) build ./...

# test runs everything: vet, then every package's tests with the race
# detector, the interop suite against real LanceDB included (it needs the
# pinned npm packages, hence interop-deps).
test: vet interop-deps
	$(GO) test -race -count=1 ./...

# test-interop runs only the comparison with LanceDB.
test-interop: interop-deps
	$(GO) test -count=1 -v ./interop/...

# test-short skips the slow tests and the LanceDB comparison.
test-short:
	RESONA_INTEROP=skip $(GO) test -short ./...

vet:
	$(GO) vet ./...

# interop-deps installs the pinned LanceDB releases for the interop tests.
# `npm ci` rejects LanceDB 0.39's lockfile (it lists native builds for other
# platforms that the registry does not serve), so exact pins in package.json
# plus `npm install` it is. A stamp makes a second run instant.
interop-deps: $(INTEROP_STAMPS)

interop/node/lancedb-%/node_modules/.resona-installed: interop/node/lancedb-%/package.json interop/node/lancedb-%/package-lock.json
	cd interop/node/lancedb-$* && $(NPM) install --no-audit --no-fund --loglevel=error
	touch $@

# fuzz runs every native fuzz target of every package for FUZZTIME each.
# Targets are discovered with `go test -list`, so new ones are picked up.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' $$pkg) || exit 1; \
		for target in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

lint:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path '*/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# proto regenerates the committed Go code from the .proto files written here.
# Needs protoc (Debian: protobuf-compiler); protoc-gen-go is installed pinned.
proto:
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	cd lance/internal/pb && PATH="$$($(GO) env GOPATH)/bin:$$PATH" protoc --proto_path=. \
		--go_out=. --go_opt=paths=source_relative $$(find . -name '*.proto' | sed 's|^\./||' | sort)

# ---- resona command line and demo ----
.PHONY: resona demo
RESONA_BIN := bin/resona
DEMO_DIR := bin/demo
DEMO := $(RESONA_BIN) --db $(DEMO_DIR)/demo.lance embed

# resona builds the static command-line binary.
resona:
	CGO_ENABLED=0 $(GO) build -o $(RESONA_BIN) ./cmd/resona

# demo embeds the package documentation of the local Go distribution (real
# text every machine that builds resona has; internal packages included, so
# that the table is large enough for a vector index) with the built-in
# offline provider into a fresh table under bin/demo, in five runs as notes
# arrive over time, re-embeds one part, then shows stats, maintenance
# (compaction, index creation, cleanup) and searches.
demo: resona
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(GO) run ./internal/democorpus -internal -o $(DEMO_DIR)/corpus.jsonl -parts 5
	@for i in 1 2 3 4 5; do \
		echo "$(DEMO) generate $(DEMO_DIR)/corpus-$$i.jsonl"; \
		$(DEMO) generate $(DEMO_DIR)/corpus-$$i.jsonl || exit 1; \
	done
	$(DEMO) generate --force $(DEMO_DIR)/corpus-2.jsonl
	$(DEMO) stats
	$(DEMO) maintain --retention-days 0
	$(DEMO) search -k 5 "compress data with gzip"
	$(DEMO) search -k 5 "parse command-line flags"
	$(DEMO) search -k 5 "send an HTTP request and read the response"

# ---- side-by-side benchmark against LanceDB (bench/, see BENCHMARKS.md) ----
.PHONY: bench bench-small bench-plot

# bench runs the Resona workload (150k × 1024, batches of 100) on LanceDB
# (Node) and on the Go engine over the same vector files, appends one JSON
# line per engine to bench/results/<date>.jsonl, then draws the charts.
bench:
	bash bench/run.sh
	$(MAKE) bench-plot

# bench-small is the quick version (20k rows, LanceDB 0.13 included).
bench-small:
	SIZE=small bash bench/run.sh
	$(MAKE) bench-plot

# bench-plot renders PNGs of the last run in the newest results file.
bench-plot:
	$(GO) run ./bench/cmd/plot -in bench/results -out bench/results/plots
