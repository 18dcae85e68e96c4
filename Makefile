# postfix-go: drop-in Go replacements for Postfix's scache(8), smtp(8)/lmtp(8)
# and tlsproxy(8). See README.md.

GO        ?= go
BIN       := bin
DAEMONS   := scache smtp lmtp tlsproxy
PREFIX    ?= /usr/local
LIBEXEC   ?= $(PREFIX)/lib/postfix-go
MANDIR    ?= $(PREFIX)/share/man
# Static binaries: no libc to find inside the chroot, and the Go runtime
# applies setuid/setgid to every thread.
export CGO_ENABLED = 0

.PHONY: all build test unit integration fuzz bench install man demo lint clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/scache ./scache
	$(GO) build -trimpath -o $(BIN)/smtp ./smtp
	ln -f $(BIN)/smtp $(BIN)/lmtp  # one binary; the name selects LMTP, as in Postfix
	$(GO) build -trimpath -o $(BIN)/tlsproxy ./tlsproxy

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The whole suite: lint, unit tests with the race detector, fuzz seeds as
# regression cases (they run as ordinary tests), and the integration tests
# against a private real Postfix (skipped with a message without root).
test: build lint
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

unit: build
	CGO_ENABLED=1 $(GO) test -race -count=1 -short ./master-compat/... ./scache/... ./smtp/... ./tlsproxy/... ./internal/...

integration: build
	$(GO) test -count=1 -v -timeout 20m ./tests/...

# Short fuzzing runs of every fuzz target in the module (found by name);
# new crashers land in testdata/fuzz and become regression cases.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) GO=$(GO) scripts/fuzz.sh

bench: build
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./tests/bench/... -v

man:
	@for f in man/*.8; do echo "checking $$f"; groff -man -Tutf8 -ww $$f >/dev/null; done

install: build
	install -d $(DESTDIR)$(LIBEXEC) $(DESTDIR)$(MANDIR)/man8
	for d in $(DAEMONS); do install -m 0755 $(BIN)/$$d $(DESTDIR)$(LIBEXEC)/$$d; done
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

# The README's main job: a private Postfix with our daemons swapped in,
# mail delivered through them to a local sink, results shown.
demo: build
	scripts/ensure-postfix.sh
	scripts/demo.sh

clean:
	rm -rf $(BIN)
