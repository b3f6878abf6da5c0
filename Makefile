# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
.PHONY: all deps test-deps build run test test-unit test-asan bench clean

JOBS      ?= 2
BUILD     ?= build/release
ASAN      ?= build/asan
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

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@mkdir -p $(DATA_DIR)
	@echo "confab: open http://$(LISTEN)/ in a browser; telnet users: nc $(subst :, ,$(TELNET))"
	$(BUILD)/src/confab serve --listen $(LISTEN) --telnet-listen $(TELNET) --data-dir $(DATA_DIR)

# Every suite: unit, integration and browser on the release build, then unit + integration
# once more under AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300
	$(MAKE) --no-print-directory test-asan

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

$(ASAN)/build.ninja:
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCONFAB_SANITIZE=ON

test-asan: deps $(ASAN)/build.ninja
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) --timeout 600 -L 'unit|integration'

bench: build
	$(BUILD)/bench/micro/confab_micro
	bench/run.sh $(BUILD)/src/confab

clean:
	rm -rf build
