# The README contract: `make run` and `make test` do all set-up on a fresh Debian 12.
SHELL := /bin/bash
JOBS ?= 2
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
SHARED ?= $(abspath ../shared)
CMAKE_FLAGS ?=

.PHONY: all setup build run test test-unit test-asan fuzz-smoke bench clean format

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DMIMAMORI_SHARED_DIR=$(SHARED) $(CMAKE_FLAGS)

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the bundled sample data.
run: build
	@bash scripts/run_main.sh $(BUILD)

# Whole suite: unit + golden + CLI tests, a short fuzz smoke, and the unit tests under ASan+UBSan.
test: build
	@bash scripts/test_all.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(JOBS) $(SHARED)

test-unit: build
	@bash scripts/ctest_summary.sh $(BUILD) $(JOBS)

test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMIMAMORI_SANITIZE=ON -DMIMAMORI_BENCH=OFF -DMIMAMORI_SHARED_DIR=$(SHARED)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	@bash scripts/ctest_summary.sh $(ASAN_BUILD) $(JOBS) -LE slow

fuzz-smoke: setup
	@bash scripts/fuzz.sh $(FUZZ_BUILD) 5

bench: build
	@bash bench/run_all.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
