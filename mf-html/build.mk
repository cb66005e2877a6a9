# mf-html/build.mk - the report's page (page.html, page.css, page.js) is
# compiled into the binary: a small awk step turns each file into a C
# string in build/mf-html/assets.c, so bin/mf-html needs no files at run
# time and the page stays editable as plain HTML, CSS and JavaScript.
#
# page.js is made here from its parts, concatenated in this order into one
# function scope (page-model.js opens it, page-window.js closes it; each
# part says what it holds): a new part goes in this list.
MF_HTML_PAGE_JS = mf-html/page-model.js mf-html/page-match.js mf-html/page-tree.js \
	mf-html/page-draw.js mf-html/page-controls.js mf-html/page-diff.js mf-html/page-pack.js \
	mf-html/page-series.js mf-html/page-window.js
MF_HTML_ASSETS = mf-html/page.html mf-html/page.css $(BUILD)/mf-html/page.js \
	mf-html/temporal.css mf-html/temporal.js

$(BUILD)/mf-html/page.js: $(MF_HTML_PAGE_JS)
	@mkdir -p $(dir $@)
	cat $(MF_HTML_PAGE_JS) > $@.tmp && mv $@.tmp $@

$(BUILD)/mf-html/assets.c: $(MF_HTML_ASSETS) mf-html/embed.awk
	@mkdir -p $(dir $@)
	awk -f mf-html/embed.awk $(MF_HTML_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/mf-html/assets.o: $(BUILD)/mf-html/assets.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BIN)/mf-html: $(BUILD)/mf-html/mf-html.o $(BUILD)/mf-html/pack.o $(BUILD)/mf-html/pack_series.o $(BUILD)/mf-html/assets.o $(LIBMF)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_COMMON)
PROGRAMS += $(BIN)/mf-html

# The browser tests (tests/html.bats) drive the system chromium with
# playwright-core, pinned in tests/browser/package-lock.json: make check
# runs npm ci there when node_modules is missing or older than the lock.
.PHONY: browser-deps
browser-deps: deps-test
	@command -v npm >/dev/null 2>&1 || scripts/need-packages npm
	@if [ ! -f tests/browser/node_modules/.package-lock.json ] || \
	    [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then \
		cd tests/browser && npm ci --no-audit --no-fund; fi
check: browser-deps
