// swift-tools-version:6.0
// A network written as one flat list of layers, cut into components by measured time (or by
// given layer counts), trained by scpl-swift with scpl train's run options. It depends on the
// framework by path; a program elsewhere names the repository and a version instead.
import PackageDescription

let package = Package(
  name: "LayerCut",
  dependencies: [
    .package(name: "scpl-swift", path: "../.."),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .executableTarget(
      name: "LayerCut",
      dependencies: [
        .product(name: "SCPL", package: "scpl-swift"), .product(name: "SCPLCLI", package: "scpl-swift"),
        .product(name: "NN", package: "scpl-swift"), .product(name: "Torch", package: "scpl-swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ])
  ],
  swiftLanguageModes: [.v5]
)
