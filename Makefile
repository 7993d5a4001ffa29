# scpl-swift — every target installs what is missing first (scripts/bootstrap.sh).
SWIFT ?= swift
# Two cores here: keep the compiler to two jobs so tests and builds don't thrash memory.
JOBS ?= 2

# The libtorch 2.x line the suite is also tested against (CPU): PyTorch's CPU-only wheel where pip
# finds it (a local wheel folder), else the PyPI wheel of the same version.
LIBTORCH2_VERSION ?= 2.13.0

.PHONY: bootstrap build release test test-libtorch2 check-dependency docs demo bench soak fuzz allocators format clean

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build -j $(JOBS)

release: bootstrap
	$(SWIFT) build -c release -j $(JOBS) --product scpl

# The whole test suite (debug build; XCTest; the examples are targets of the package, so they
# build once with everything else), the DocC documentation without warnings, then a package
# that depends on this one by version.
test: bootstrap
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build --disable-swift-testing
	bash scripts/docs.sh
	bash scripts/check-versioned-dependency.sh

# The same suite built against libtorch 2.x (scripts/get-libtorch.sh), in its own build folder,
# less FuzzRegressionTests: it replays inputs through the file and command-line parsers, which
# are Swift alone (their tensors are made by the SafeTensors code SafeTensorsTests covers here),
# and `make test` runs it. Its command-line part alone took 76 s on this two-core machine (251-292 s
# on an earlier, slower one, on one thread), almost all of it ArgumentParser checking scpl's own
# option declarations on every parse of a debug build (`perf record` of the test).
test-libtorch2: bootstrap
	@dir=$$(bash scripts/get-libtorch.sh $(LIBTORCH2_VERSION)+cpu 2>/dev/null || bash scripts/get-libtorch.sh $(LIBTORCH2_VERSION)) && \
	  echo "libtorch 2.x: $$dir" && \
	  bash scripts/with-libtorch.sh $$dir $(SWIFT) build --build-tests -j $(JOBS) --scratch-path .build-libtorch2 && \
	  bash scripts/with-libtorch.sh $$dir $(SWIFT) test --skip-build --disable-swift-testing --scratch-path .build-libtorch2 \
	    --skip FuzzRegressionTests

# SwiftPM accepts the package as a versioned dependency: builds a package that depends on a tagged
# clone of HEAD (committed work only) with `from: "0.2.0"` (a fresh build of the framework without
# its tests: about 1.5 minutes here). `make test` runs it last.
check-dependency: bootstrap
	bash scripts/check-versioned-dependency.sh

# DocC documentation of the library products into .build/docs (fails on a DocC warning). `make
# test` runs it too, so the doc comments keep matching the code.
docs: bootstrap
	bash scripts/docs.sh

# The default training run on real Fashion-MNIST.
demo: release
	$$($(SWIFT) build -c release --show-bin-path)/scpl train

# Thousands of SCPL steps under the async pipeline: fails if resident memory grows or the step
# time drifts after warm-up (docs/reliability.md). A few minutes; not part of `make test`.
soak: release
	$$($(SWIFT) build -c release --show-bin-path)/scpl bench soak

# Every parser of a user's file under libFuzzer + AddressSanitizer, FUZZ_SECONDS each (default 60).
fuzz: bootstrap
	bash scripts/fuzz.sh

# Engine micro-benchmarks; writes bench-results/engine.{json,md}.
bench: release
	$$($(SWIFT) build -c release --show-bin-path)/scpl bench engine --out bench-results

# Host memory: the host cache against glibc, jemalloc and tcmalloc (docs/performance.md).
allocators: bootstrap
	bash scripts/allocators.sh

# Lays out every Swift source with the toolchain's swift-format at 120 columns (.swift-format);
# FormatTests (in `make test`) fails on a file that is not.
format:
	$(SWIFT) format format --configuration .swift-format -i $$(git ls-files 'Sources/*.swift' 'Tests/*.swift' | grep -v '\.pb\.swift$$')

clean:
	rm -rf .build .build-libtorch2
