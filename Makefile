# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
.PHONY: all deps test-deps build run test test-unit test-asan test-tsan bench clean

JOBS      ?= 2
BUILD     ?= build/release
ASAN      ?= build/asan
# Fixed: the binaryDir of the tsan preset (CMakePresets.json).
TSAN      := build/tsan
LISTEN    ?= 127.0.0.1:8080
TELNET    ?= 127.0.0.1:3030
DATA_DIR  ?= ./data
CMAKE_GEN := -G Ninja

all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test
	@cd tests/browser && { [ -d node_modules/playwright-core ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error; }
	@cd tests/openapi && { [ -d node_modules/@redocly/cli ] || npm ci --no-audit --no-fund --loglevel=error; }

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(DATA_DIR)
	@echo "confab: open http://$(LISTEN)/ in a browser; telnet users: nc $(subst :, ,$(TELNET))"
	$(BUILD)/src/confab serve --listen $(LISTEN) --telnet-listen $(TELNET) --data-dir $(DATA_DIR)

# Every suite: unit, integration and browser on the release build, then unit + integration
# once more under AddressSanitizer + UndefinedBehaviorSanitizer, then the client library's
# tests under ThreadSanitizer.
test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory test-tsan

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

$(ASAN)/build.ninja:
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCONFAB_SANITIZE=ON

test-asan: deps $(ASAN)/build.ninja
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) --timeout 600 -L 'unit|integration'

$(TSAN)/build.ninja:
	cmake --preset tsan

# The tsan presets build only the client's test binaries (and what they need: libconfab and
# the `confab` server they spawn) and run only the tests labelled `client`, with
# TSAN_OPTIONS that make a race fail its test (tests/client/tsan.supp: known false positives).
test-tsan: deps $(TSAN)/build.ninja
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -j $(JOBS)

bench: build
	$(BUILD)/bench/micro/confab_micro
	$(BUILD)/bench/client/confab_client_bench
	bench/run.sh $(BUILD)/src/confab

clean:
	rm -rf build
