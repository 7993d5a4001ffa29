# scpl-swift — every target installs what is missing first (scripts/bootstrap.sh).
SWIFT ?= swift
# Two cores here: keep the compiler to two jobs so tests and builds don't thrash memory.
JOBS ?= 2

.PHONY: bootstrap build release test demo bench clean

bootstrap:
	@bash scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build -j $(JOBS)

release: bootstrap
	$(SWIFT) build -c release -j $(JOBS) --product scpl

# The whole test suite (debug build; XCTest).
test: bootstrap
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build --disable-swift-testing

# The default training run on real Fashion-MNIST.
demo: release
	$$($(SWIFT) build -c release --show-bin-path)/scpl train

# Engine micro-benchmarks; writes bench-results/engine.{json,md}.
bench: release
	$$($(SWIFT) build -c release --show-bin-path)/scpl bench engine --out bench-results

clean:
	rm -rf .build
